// Decide pass/fail from everything a run left behind (pure).
import { consoleMarks, debugExit, qemuExitCode } from './layout.ts'

export interface Evidence {
  nonce: string;
  console: string;
  /** Files from the run share, null when the guest never wrote them. */
  marker: string | null;
  dmesg: string | null;
  tainted: string | null;
  qemuCode: number | null;
  qemuSignal: string | null;
  qemuStderr: string;
  timedOut: boolean;
  timeoutMs: number;
}

export interface Verdict {
  ok: boolean;
  reason: string;
  /** The command's exit status, null if it never finished. */
  exitCode: number | null;
}

const kernelTrouble = /(Oops:|BUG:|kernel BUG at|Kernel panic|WARNING: CPU:|general protection fault|Call Trace:)/
/** A kernel line: printk timestamp, then (on the same line) one of the tell-tale words. */
const kernelLine = new RegExp(String.raw`\[\s*\d+\.\d+\]\s.*?` + kernelTrouble.source)

/** The first kernel line reporting an oops, BUG, panic or WARN, or null. */
export function findKernelTrouble (text: string): string | null {
  for (const line of text.split('\n')) if (kernelLine.test(line)) return line.trim()
  return null
}

/** Taint flags that mean the kernel itself went wrong (not merely an out-of-tree module). */
const badTaints: [number, string][] = [
  [4, 'M (machine check)'],
  [5, 'B (bad page)'],
  [7, 'D (oops/die)'],
  [9, 'W (warning)'],
  [14, 'L (soft lockup)'],
]

export function badTaint (tainted: string | null): string | null {
  if (tainted === null || !/^\s*\d+\s*$/.test(tainted)) return null
  const v = BigInt(tainted.trim())
  const hits = badTaints.filter(([bit]) => (v >> BigInt(bit)) & 1n).map(([, name]) => name)
  return hits.length ? `kernel tainted ${hits.join(', ')} (tainted=${v})` : null
}

/** Lines in which /init warns about something that did not fail the run. */
export function guestWarnings (console: string): string[] {
  return console.split('\n').filter((l) => l.startsWith(consoleMarks.warning))
}

export function parseMarker (marker: string | null): { nonce: string; status: number } | null {
  const m = /^krelay-vm-done nonce=([0-9a-f]+) status=(\d+)\s*$/.exec(marker ?? '')
  return m?.[1] && m[2] ? { nonce: m[1], status: Number(m[2]) } : null
}

export function judge (e: Evidence): Verdict {
  const marker = parseMarker(e.marker)
  const exitCode = marker && marker.nonce === e.nonce ? marker.status : null
  const fail = (reason: string): Verdict => ({ ok: false, reason, exitCode })

  const trouble = findKernelTrouble(e.console) ?? findKernelTrouble(e.dmesg ?? '')
  if (e.timedOut) return fail(`timeout: guest still running after ${e.timeoutMs / 1000}s${trouble ? `; kernel: ${trouble}` : ''}`)
  if (trouble) return fail(`kernel error: ${trouble}`)
  const fatal = e.console.split('\n').find((l) => l.startsWith(consoleMarks.fatal))
  if (fatal) return fail(`guest init failed: ${fatal.slice(consoleMarks.fatal.length).trim()}`)
  if (!marker) {
    const how = e.qemuSignal ? `killed by ${e.qemuSignal}` : `exit status ${e.qemuCode}`
    const err = e.qemuStderr.trim() ? `: ${e.qemuStderr.trim().split('\n').slice(-3).join(' | ')}` : ''
    return fail(`no result marker: the guest did not finish (qemu ${how}${err})`)
  }
  if (marker.nonce !== e.nonce) return fail(`result marker has nonce ${marker.nonce}, expected ${e.nonce}: stale output`)
  const taint = badTaint(e.tainted)
  if (taint) return fail(taint)
  if (marker.status !== 0) return fail(`command exited with status ${marker.status}`)
  const expected = qemuExitCode(debugExit.done)
  if (e.qemuCode !== expected && e.qemuCode !== 0) return fail(`qemu exited with ${e.qemuCode}, expected ${expected}`)
  return { ok: true, reason: 'passed', exitCode }
}
