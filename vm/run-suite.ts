// npm run test:vm: for each kernel, fetch it, build kmod/, boot once and run every guest test.
// The kernels boot at once (qemu runs single-threaded TCG: one VM keeps about one host core
// busy); each kernel's output is held and printed whole when its run ends.
// Env: KRELAY_VM_KERNELS ("6.1,6.12"), KRELAY_VM_CPUS (2), KRELAY_VM_TIMEOUT (seconds per kernel,
//      1800, plus the soak's minutes when soak tests run), KRELAY_VM_PARALLEL=0 (one kernel after
//      the other), KRELAY_VM_LIVE=1 (stream the serial console; implies one kernel at a time),
//      KRELAY_VM_KEEP=1 (keep run dirs of passing runs), KRELAY_VM_CACHE (cache dir),
//      KRELAY_SOAK_* (passed on to the guest). Arguments: guest test files, or directories of
//      them, to run instead of test/vm/guest/*.test.ts; `<kernel>:<path>` for one kernel only.
import { readdirSync, statSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { isKernelName, kernelNames, repoRoot, type KernelName } from './config.ts'
import { bundleTests } from './bundle-tests.ts'
import { tail } from './exec.ts'
import { guestEnv, prepare } from './prepare.ts'
import { failedTests, parseTestCounts } from './test-summary.ts'
import { runInVm } from './vm.ts'

interface Row {
  kernel: KernelName;
  release: string;
  ok: boolean;
  reason: string;
  tests: string;
  /** the failing tests, each with the first line of its error */
  failed: string[];
  prepMs: number;
  initMs?: number;
  totalMs?: number;
}

function kernels (): KernelName[] {
  const spec = process.env.KRELAY_VM_KERNELS?.trim()
  if (!spec) return [...kernelNames]
  const names = spec.split(/[\s,]+/).filter(Boolean)
  for (const n of names) if (!isKernelName(n)) throw new Error(`KRELAY_VM_KERNELS: unknown kernel ${n} (know ${kernelNames.join(', ')})`)
  return names as KernelName[]
}

function testsIn (dir: string): string[] {
  const files = readdirSync(path.join(repoRoot, dir)).filter((f) => f.endsWith('.test.ts')).sort()
  if (!files.length) throw new Error(`no guest tests in ${dir}`)
  return files.map((f) => path.posix.join(dir, f))
}

/**
 * The guest test files for `kernel`: every argument (a file or a directory of them), or
 * test/vm/guest without any. An argument `<kernel>:<path>` is for that kernel alone
 * (npm run test:soak gives each kernel one of the long tests, so they run at once).
 */
function guestTests (args: string[], kernel: KernelName): string[] {
  if (!args.length) return testsIn('test/vm/guest')
  return args.flatMap((arg) => {
    const m = /^([\d.]+):(.+)$/.exec(arg)
    if (m !== null && !isKernelName(m[1]!)) throw new Error(`${arg}: unknown kernel ${m[1]} (know ${kernelNames.join(', ')})`)
    if (m !== null && m[1] !== kernel) return []
    const a = m === null ? arg : m[2]!
    return statSync(path.resolve(repoRoot, a)).isDirectory() ? testsIn(a) : [a]
  })
}

/** Env the guest gets from the host's: the soak's knobs (the guest's environment is otherwise the harness's own). */
function passedEnv (): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => /^KRELAY_SOAK_/.test(e[0]) && e[1] !== undefined))
}

/**
 * Seconds per kernel: KRELAY_VM_TIMEOUT, else 1800 plus the soak's length when a soak test
 * runs. Both kernels at once took 1045-1122 s for the 45 tests in CI, and more than 1200 s
 * on a host that also ran the host tests (two VMs share 2 cores and qemu's 9p threads): the
 * timeout is there for a hung guest, not to pace a slow one.
 */
function timeoutSeconds (files: string[]): number {
  const set = process.env.KRELAY_VM_TIMEOUT
  const n = Number(set ?? 1800 + (files.some((f) => f.includes('/soak/')) ? 60 * Number(process.env.KRELAY_SOAK_MINUTES ?? '10') : 0))
  if (!Number.isFinite(n) || n <= 0) throw new Error('KRELAY_VM_TIMEOUT (or KRELAY_SOAK_MINUTES) must be a positive number')
  return n
}

interface Settings {
  files: Map<KernelName, string[]>
  /** each test file's bundle (bundle-tests.ts): what the guest runs */
  bundles: Map<string, string>
  cpus: number
  live: boolean
  timeoutMs: number
}

async function runKernel (kernel: KernelName, s: Settings, say: (line: string) => void): Promise<Row> {
  say(`\n=== krelay-vm: kernel ${kernel} ===`)
  const t0 = Date.now()
  let p
  try {
    p = await prepare(kernel, { module: true, log: (line) => say(`krelay-vm: ${line}`) })
  } catch (e) {
    const reason = `prepare failed: ${e instanceof Error ? e.message : String(e)}`
    say(reason)
    return { kernel, release: '?', ok: false, reason: reason.split('\n')[0] ?? reason, tests: '-', failed: [], prepMs: Date.now() - t0 }
  }
  say(`krelay-vm: ${p.tree.release}: fetch ${p.fetchMs} ms, module build ${p.buildMs} ms; booting`)
  const r = await runInVm({
    kernel,
    tree: p.tree,
    cpus: s.cpus,
    command: ['node', '--test', '--test-concurrency=1', '--test-reporter=spec', ...s.files.get(kernel)!.map(f => s.bundles.get(f)!)],
    env: { ...passedEnv(), ...guestEnv(p) },
    timeoutMs: s.timeoutMs,
    onConsole: s.live ? (t) => process.stdout.write(t) : undefined,
    report: false,
  })
  if (!s.live) say(`--- guest test output (${kernel}) ---\n${r.output.trimEnd()}\n--- end of guest test output ---`)
  if (!r.ok) say(`--- krelay-vm ${kernel} (${r.release}): last 150 console lines (${r.runDir}/console.log) ---\n${tail(r.console, 150)}\n--- FAILED: ${r.reason} ---`)
  for (const w of r.warnings) say(w)
  const counts = parseTestCounts(r.output)
  let { ok, reason } = r
  if (ok && (!counts || counts.tests === 0)) [ok, reason] = [false, 'the test runner reported no tests']
  const tests = counts ? `${counts.pass}/${counts.tests} passed, ${counts.fail} failed, ${counts.skipped} skipped` : '-'
  if (ok && process.env.KRELAY_VM_KEEP !== '1') await rm(r.runDir, { recursive: true, force: true })
  else say(`krelay-vm: run dir kept: ${r.runDir}`)
  const t = r.timings
  return { kernel, release: r.release, ok, reason, tests, failed: failedTests(r.output), prepMs: p.fetchMs + p.buildMs, initMs: t.initMs, totalMs: r.durationMs }
}

const write = (text: string): void => { process.stdout.write(text) }

async function main (): Promise<number> {
  const args = process.argv.slice(2)
  const ks = kernels().filter((k) => guestTests(args, k).length > 0)
  if (!ks.length) throw new Error(`no guest tests for ${kernels().join(' or ')} in ${args.join(' ')}`)
  const files = new Map(ks.map((k) => [k, guestTests(args, k)]))
  const cpus = Number(process.env.KRELAY_VM_CPUS ?? '2')
  if (!Number.isInteger(cpus) || cpus < 1) throw new Error('KRELAY_VM_CPUS must be a positive integer')
  const live = process.env.KRELAY_VM_LIVE === '1'
  const all = [...new Set([...files.values()].flat())]
  const bundles = new Map((await bundleTests(all)).map((b, i) => [all[i]!, b]))
  const s: Settings = { files, bundles, cpus, live, timeoutMs: timeoutSeconds(all) * 1000 }
  // two live consoles would interleave line by line: live runs one kernel at a time
  const parallel = process.env.KRELAY_VM_PARALLEL !== '0' && !live && ks.length > 1
  const t0 = Date.now()
  let rows: Row[]
  if (parallel) {
    write(`krelay-vm: booting ${ks.join(' and ')} at once (KRELAY_VM_PARALLEL=0: one after the other); each kernel's output follows when its run ends\n`)
    rows = await Promise.all(ks.map(async (k) => {
      let held = ''
      const row = await runKernel(k, s, (line) => { held += `${line}\n` })
      write(held)
      return row
    }))
  } else {
    rows = []
    for (const k of ks) rows.push(await runKernel(k, s, (line) => write(`${line}\n`)))
  }
  write('\n=== krelay-vm summary ===\n')
  for (const r of rows) {
    const time = r.totalMs === undefined ? '' : ` | prep ${r.prepMs} ms, init ${r.initMs ?? '-'} ms, boot-to-poweroff ${r.totalMs} ms`
    write(`${r.ok ? 'PASS' : 'FAIL'} ${r.kernel} (${r.release}) | ${r.tests} | ${r.reason}${time}\n`)
    for (const f of r.failed) write(`  ✖ ${f}\n`)
  }
  const failed = rows.filter((r) => !r.ok).length
  write(`${failed ? `${failed} of ${rows.length} kernels FAILED` : `all ${rows.length} kernels passed`} (${((Date.now() - t0) / 1000).toFixed(0)} s, ${parallel ? 'kernels at once' : 'one kernel at a time'})\n`)
  return failed ? 1 : 0
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`krelay-vm: ${e instanceof Error ? e.stack ?? e.message : String(e)}`)
    process.exit(1)
  }
)
