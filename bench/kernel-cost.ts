// Benchmark 6 of issue 9: ns per record of krelay_write (binary) and krelay_printk (formatted)
// against trace_printk and printk of the same content, in one guest (qemu TCG: only the
// ratios mean anything). Goals: krelay_write cheaper than trace_printk; krelay_printk no
// dearer than trace_printk, and no dearer than printk (the peer that formats at the call as
// it does). The components vsnprintf, vbin_printf and krelay_write_text (a fixed text of the
// same length) show where the formatted calls' time goes.
//
//   node --import tsx bench/kernel-cost.ts [--quick] [--kernel 6.12]
//
// Builds krelay.ko (the harness's path) and bench/kmod/krelay_bench.ko against the same
// headers and krelay's Module.symvers, boots the kernel and runs bench/kernel-cost-guest.ts.
// krelay_bench.ko uses trace_printk(), so its load prints the kernel's "trace_printk() being
// used" NOTICE banner: pr_warn lines of asterisks, not a "WARNING: CPU:" line, and no taint,
// so the harness's verdict (vm/verdict.ts) is left as it is for the test suite.
import { existsSync } from 'node:fs'
import { cp, mkdir, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { isKernelName, repoRoot } from '../vm/config.ts'
import { exec, ExecError, tail } from '../vm/exec.ts'
import type { KernelTree } from '../vm/kernels.ts'
import { isBuildArtifact } from '../vm/module-build.ts'
import { guestEnv, prepare } from '../vm/prepare.ts'
import { runInVm } from '../vm/vm.ts'
import { guestResult } from './guest-result.ts'
import type { KernelCostResult, KindCost } from './kernel-cost-guest.ts'

const RESULT_FILE = 'kernel-cost.json'

/** Builds bench/kmod against `k`'s headers, after krelay.ko (whose Module.symvers it needs). */
async function buildBenchModule (k: KernelTree, krelayKo: string): Promise<string> {
  const build = path.join(k.dir, 'bench-build')
  await rm(build, { recursive: true, force: true })
  const filter = (p: string): boolean => !isBuildArtifact(path.basename(p))
  await cp(path.join(repoRoot, 'bench', 'kmod'), path.join(build, 'bench', 'kmod'), { recursive: true, filter })
  await mkdir(path.join(build, 'kmod'), { recursive: true })
  await cp(path.join(repoRoot, 'kmod', 'krelay_api.h'), path.join(build, 'kmod', 'krelay_api.h'))
  const symvers = path.join(path.dirname(krelayKo), 'Module.symvers')
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', LANG: 'C' }
  const dir = path.join(build, 'bench', 'kmod')
  let log: string
  try {
    const r = await exec('make', ['-C', k.headers, `M=${dir}`, `KBUILD_EXTRA_SYMBOLS=${symvers}`, 'modules'], { env })
    log = r.stdout + r.stderr
  } catch (e) {
    if (!(e instanceof ExecError)) throw e
    throw new Error(`krelay_bench build failed for ${k.release}:\n${tail(e.result.stdout + e.result.stderr, 60)}`)
  }
  await writeFile(path.join(build, 'build.log'), log)
  if (/warning:/i.test(log)) throw new Error(`krelay_bench build for ${k.release} has warnings:\n${tail(log, 60)}`)
  const ko = path.join(dir, 'krelay_bench.ko')
  if (!existsSync(ko)) throw new Error(`krelay_bench build for ${k.release} produced no krelay_bench.ko:\n${tail(log, 30)}`)
  return ko
}

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: process.env.KRELAY_BENCH_QUICK === '1' },
    kernel: { type: 'string', default: '6.12' },
  },
})
if (!isKernelName(values.kernel)) throw new Error(`unknown kernel ${values.kernel}`)
const calls = values.quick ? 16_384 : 262_144

const p = await prepare(values.kernel, { module: true, log: s => console.error(`krelay-vm: ${s}`) })
const benchKo = await buildBenchModule(p.tree, p.ko!)
const r = await runInVm({
  kernel: values.kernel,
  tree: p.tree,
  // one vCPU: qemu runs every vCPU in one host thread (tcg,thread=single), so a second
  // vCPU's work would land inside CPU 0's timed batches
  cpus: 1,
  command: ['node', '--import', 'tsx', 'bench/kernel-cost-guest.ts', String(calls), RESULT_FILE],
  env: { ...guestEnv(p), KRELAY_BENCH_KO: benchKo },
  timeoutMs: values.quick ? 300_000 : 1_200_000,
})
const res = await guestResult<KernelCostResult>(r, RESULT_FILE)

const kind = (name: string): KindCost => {
  const k = res.kinds.find(x => x.name === name)
  if (k === undefined) throw new Error(`no result for ${name}`)
  return k
}
// the median batch: robust against the host descheduling the emulated CPU now and then
const ns = (name: string): number => kind(name).medianNs
const ratio = (a: string, b: string): number => ns(a) / ns(b)
console.log(`kernel ${r.release}, ${res.cpus} vCPUs (TCG), ${calls} calls per kind on CPU 0, median of batches of 64:`)
console.log(`  krelay_write ${ratio('krelay_write', 'trace_printk').toFixed(2)}x trace_printk, ${ratio('krelay_write', 'printk').toFixed(2)}x printk; ` +
  `krelay_printk ${ratio('krelay_printk', 'printk').toFixed(2)}x printk, ${ratio('krelay_printk', 'trace_printk').toFixed(2)}x trace_printk ` +
  `(binary arguments), ${ratio('krelay_printk', '__trace_printk').toFixed(2)}x __trace_printk (formatted at the call)`)
console.log(`  components: vsnprintf ${ns('vsnprintf').toFixed(0)} ns, vbin_printf ${ns('vbin_printf').toFixed(0)} ns (trace_printk's formatting), ` +
  `krelay_write of the formatted text's length ${ns('krelay_write_text').toFixed(0)} ns`)
const w = ratio('krelay_write', 'trace_printk')
console.log(`bench kernel-cost: ${ns('krelay_write').toFixed(0)} ns/record krelay_write; ${w.toFixed(2)}x trace_printk; goal < 1x: ${w < 1 ? 'met' : 'missed'}`)
// the goal compares the formatted call with trace_printk too; printk is the peer that also formats at the call
const ft = ratio('krelay_printk', 'trace_printk')
console.log(`bench kernel-cost: ${ns('krelay_printk').toFixed(0)} ns/record krelay_printk; ${ft.toFixed(2)}x trace_printk; goal <= 1x: ${ft <= 1 ? 'met' : 'missed'}`)
const f = ratio('krelay_printk', 'printk')
console.log(`bench kernel-cost: ${ns('krelay_printk').toFixed(0)} ns/record krelay_printk; ${f.toFixed(2)}x printk; goal <= 1x: ${f <= 1 ? 'met' : 'missed'}`)
