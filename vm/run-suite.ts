// npm run test:vm: for each kernel, fetch it, build kmod/, boot once and run every guest test.
// Env: KRELAY_VM_KERNELS ("6.1,6.12"), KRELAY_VM_CPUS (2), KRELAY_VM_TIMEOUT (seconds per kernel, 900),
//      KRELAY_VM_LIVE=1 (stream the serial console), KRELAY_VM_KEEP=1 (keep run dirs of passing runs),
//      KRELAY_VM_CACHE (cache dir). Arguments: guest test files to run instead of test/vm/guest/*.test.ts.
import { readdirSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { isKernelName, kernelNames, repoRoot, type KernelName } from './config.ts'
import { moduleEnv, prepare } from './prepare.ts'
import { parseTestCounts } from './test-summary.ts'
import { runInVm } from './vm.ts'

interface Row {
  kernel: KernelName;
  release: string;
  ok: boolean;
  reason: string;
  tests: string;
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

function guestTests (args: string[]): string[] {
  if (args.length) return args
  const dir = 'test/vm/guest'
  const files = readdirSync(path.join(repoRoot, dir)).filter((f) => f.endsWith('.test.ts')).sort()
  if (!files.length) throw new Error(`no guest tests in ${dir}`)
  return files.map((f) => `${dir}/${f}`)
}

const say = (s: string): void => { process.stdout.write(`${s}\n`) }

async function runKernel (kernel: KernelName, files: string[]): Promise<Row> {
  say(`\n=== krelay-vm: kernel ${kernel} ===`)
  const t0 = Date.now()
  let p
  try {
    p = await prepare(kernel, { module: true, log: (s) => say(`krelay-vm: ${s}`) })
  } catch (e) {
    const reason = `prepare failed: ${e instanceof Error ? e.message : String(e)}`
    say(reason)
    return { kernel, release: '?', ok: false, reason: reason.split('\n')[0] ?? reason, tests: '-', prepMs: Date.now() - t0 }
  }
  say(`krelay-vm: ${p.tree.release}: fetch ${p.fetchMs} ms, module build ${p.buildMs} ms; booting`)
  const cpus = Number(process.env.KRELAY_VM_CPUS ?? '2')
  if (!Number.isInteger(cpus) || cpus < 1) throw new Error('KRELAY_VM_CPUS must be a positive integer')
  const live = process.env.KRELAY_VM_LIVE === '1'
  const r = await runInVm({
    kernel,
    tree: p.tree,
    cpus,
    command: ['node', '--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
    env: moduleEnv(p),
    timeoutMs: Number(process.env.KRELAY_VM_TIMEOUT ?? '900') * 1000,
    onConsole: live ? (t) => process.stdout.write(t) : undefined,
  })
  if (!live) say(`--- guest test output (${kernel}) ---\n${r.output.trimEnd()}\n--- end of guest test output ---`)
  for (const w of r.warnings) say(w)
  const counts = parseTestCounts(r.output)
  let { ok, reason } = r
  if (ok && (!counts || counts.tests === 0)) [ok, reason] = [false, 'the test runner reported no tests']
  const tests = counts ? `${counts.pass}/${counts.tests} passed, ${counts.fail} failed, ${counts.skipped} skipped` : '-'
  if (ok && process.env.KRELAY_VM_KEEP !== '1') await rm(r.runDir, { recursive: true, force: true })
  else say(`krelay-vm: run dir kept: ${r.runDir}`)
  const t = r.timings
  return { kernel, release: r.release, ok, reason, tests, prepMs: p.fetchMs + p.buildMs, initMs: t.initMs, totalMs: r.durationMs }
}

async function main (): Promise<number> {
  const files = guestTests(process.argv.slice(2))
  const rows: Row[] = []
  for (const k of kernels()) rows.push(await runKernel(k, files))
  say('\n=== krelay-vm summary ===')
  for (const r of rows) {
    const time = r.totalMs === undefined ? '' : ` | prep ${r.prepMs} ms, init ${r.initMs ?? '-'} ms, boot-to-poweroff ${r.totalMs} ms`
    say(`${r.ok ? 'PASS' : 'FAIL'} ${r.kernel} (${r.release}) | ${r.tests} | ${r.reason}${time}`)
  }
  const failed = rows.filter((r) => !r.ok).length
  say(failed ? `${failed} of ${rows.length} kernels FAILED` : `all ${rows.length} kernels passed`)
  return failed ? 1 : 0
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`krelay-vm: ${e instanceof Error ? e.stack ?? e.message : String(e)}`)
    process.exit(1)
  }
)
