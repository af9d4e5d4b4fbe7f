// Benchmark 1 of issue 9: the highest generator rate `krelay collect` sustains with no kernel
// drop, with the module's default parameters, for one busy CPU and for all CPUs busy, against
// a C consumer that does what blktrace does (bench/c/relay-read.c: a thread per CPU, poll() +
// read() of the relay file into a file), in the same guest. qemu TCG emulates the CPU: only
// the ratios mean anything.
//
//   node --import tsx bench/capture-vm.ts [--quick] [--kernel 6.12] [--cpus 2]
//
// Builds relay-read with the host's gcc (the guest runs the host's / over 9p), boots the
// kernel with krelay.ko built for it and runs bench/capture-vm-guest.ts there. Goal: >= 0.9x.
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { isKernelName } from '../vm/config.ts'
import { guestEnv, prepare } from '../vm/prepare.ts'
import { runInVm } from '../vm/vm.ts'
import { floorLine } from './capture-floor.ts'
import { guestResult } from './guest-result.ts'
import type { CaptureVmResult } from './capture-vm-guest.ts'
import type { SearchResult } from './capture-vm-steps.ts'

const RESULT_FILE = 'capture-vm.json'
const GOAL = 0.9

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: process.env.KRELAY_BENCH_QUICK === '1' },
    kernel: { type: 'string', default: '6.12' },
    cpus: { type: 'string', default: '2' },
  },
})
if (!isKernelName(values.kernel)) throw new Error(`unknown kernel ${values.kernel}`)
const cpus = Number(values.cpus)
if (!Number.isInteger(cpus) || cpus < 2) throw new Error(`--cpus wants 2 or more (one busy CPU leaves the others to the consumer), got ${values.cpus}`)

const bin = await mkdtemp(path.join(os.tmpdir(), 'krelay-bench-capture-'))
const relayRead = path.join(bin, 'relay-read')
const source = path.join(import.meta.dirname, 'c', 'relay-read.c')
execFileSync('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', '-pthread', '-o', relayRead, source], { stdio: 'inherit' })

const p = await prepare(values.kernel, { module: true, log: s => console.error(`krelay-vm: ${s}`) })
const r = await runInVm({
  kernel: values.kernel,
  tree: p.tree,
  cpus,
  // the collector's spool and archive live in the guest's tmpfs
  memMiB: 4096,
  command: ['node', '--import', 'tsx', 'bench/capture-vm-guest.ts', relayRead, values.quick ? '1' : '0', RESULT_FILE],
  env: guestEnv(p),
  hostPaths: [bin],
  timeoutMs: values.quick ? 900_000 : 3_600_000,
}).finally(async () => await rm(bin, { recursive: true, force: true }))
const res = await guestResult<CaptureVmResult>(r, RESULT_FILE)

const rate = (s: SearchResult): string => `${s.capped ? '>= ' : ''}${Math.round(s.best)}${s.capped ? ' (no step dropped)' : ''}`
console.log(`kernel ${r.release}, ${res.cpus} vCPUs (TCG), module defaults: ${res.nSubbufs} x ${res.subbufSize} bytes per CPU, ` +
  `flush every ${res.flushMs} ms; highest records/s reached without a kernel drop:`)
const what = { one: 'one busy CPU', all: 'all CPUs busy' } as const
for (const busy of ['one', 'all'] as const) {
  const c = res.results.c[busy]
  const k = res.results.collector[busy]
  console.log(`  ${what[busy]}: krelay collect ${rate(k)}; relay-read (C, poll + read) ${rate(c)}`)
}
console.log(`  ${floorLine(res.floor, res.subbufSize)}`)
if (values.quick) console.log('quick: 0.5 s steps, which the buffer mostly absorbs: these figures show that the benchmark runs, not what it measures')
for (const busy of ['one', 'all'] as const) {
  const c = res.results.c[busy]
  const k = res.results.collector[busy]
  const ratio = c.best > 0 ? k.best / c.best : 0
  console.log(`bench capture-vm: ${Math.round(k.best)} records/s ${what[busy]}; ${ratio.toFixed(2)}x C poll+read consumer; ` +
    `goal >= ${GOAL}x: ${ratio >= GOAL ? 'met' : 'missed'}`)
}
