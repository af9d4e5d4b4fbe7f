// Benchmark of the live view's latency: from the kernel writing a record to `krelay tail`
// printing it, at the module's default flush interval, in the VM (qemu TCG: emulated, so
// the figures are pessimistic).
//
//   node --import tsx bench/tail-latency.ts [--kernel 6.12] [--cpus 2] [records per CPU] [rate per CPU]
//                                                     (default 3000 records at 200/s: 15 s)
//
// Boots the kernel with the module built for it and runs bench/tail-latency-guest.ts there:
// insmod with the defaults, `krelay collect`, `krelay tail --json` reading the collector's
// socket, the generator; a latency is the guest's CLOCK_MONOTONIC when a line reaches the
// benchmark's reader minus the record's kernel mono_ns. Reported: p50, p90, p99, max.
// Goal (issue 8): p99 at most twice the flush interval, the baseline.
import { parseArgs } from 'node:util'
import { isKernelName } from '../vm/config.ts'
import { guestEnv, prepare } from '../vm/prepare.ts'
import { runInVm } from '../vm/vm.ts'
import { guestResult } from './guest-result.ts'
import type { TailLatencyResult } from './tail-latency-guest.ts'

const RESULT_FILE = 'tail-latency.json'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { kernel: { type: 'string', default: '6.12' }, cpus: { type: 'string', default: '2' } },
})
if (!isKernelName(values.kernel)) throw new Error(`unknown kernel ${values.kernel}`)
const records = positionals[0] ?? '3000'
const rate = positionals[1] ?? '200'
const p = await prepare(values.kernel, { module: true, log: s => console.error(`krelay-vm: ${s}`) })
const r = await runInVm({
  kernel: values.kernel,
  tree: p.tree,
  cpus: Number(values.cpus),
  command: ['node', '--import', 'tsx', 'bench/tail-latency-guest.ts', records, rate, RESULT_FILE],
  env: guestEnv(p),
  timeoutMs: 600_000,
})
const res = await guestResult<TailLatencyResult>(r, RESULT_FILE)
const ratio = res.p99Ms / res.flushMs
console.log(`kernel ${r.release}, ${res.cpus} vCPUs (TCG), ${res.records} records measured`)
console.log(`bench tail-latency: ${res.p99Ms.toFixed(1)} ms p99 (p50 ${res.p50Ms.toFixed(1)} ms); ${ratio.toFixed(2)}x flush interval ${res.flushMs} ms; ` +
  `goal p99 <= 2x flush interval: ${ratio <= 2 ? 'met' : 'missed'}`)
