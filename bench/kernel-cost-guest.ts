// The guest side of bench/kernel-cost.ts (runs in the VM as root; KRELAY_KO, KRELAY_BENCH_KO and
// KRELAY_RESULTS set by the host side): keeps printk off the serial console (console loglevel 1:
// the benchmark must not time the emulated UART), loads krelay.ko with a buffer large enough
// that no record of the run is dropped (a dropped record would cost less than a written one;
// nothing consumes the channel here), loads krelay_bench.ko, runs it and checks that every
// call wrote its record.
//
//   node --import tsx bench/kernel-cost-guest.ts <calls per kind> <result file in KRELAY_RESULTS>
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { DEFAULT_CHANNEL_DIR } from '../collector/source/channel.ts'
import { parseStats } from '../formats/stats.ts'

export interface KindCost {
  name: string
  calls: number
  /** total ns over all batches / calls */
  meanNs: number
  /** median over the batches of their ns per call */
  medianNs: number
}

export interface KernelCostResult {
  cpus: number
  kinds: KindCost[]
}

const CALLS = Number(process.argv[2])
const RESULT_FILE = process.argv[3]!
const RUN = '/sys/kernel/debug/krelay_bench/run'
const PRINTK = '/proc/sys/kernel/printk'
// 64 MiB on each CPU: two krelay kinds of up to 4M records of at most 80 bytes
const KRELAY_PARAMS = ['subbuf_size=4194304', 'n_subbufs=16']

function sh (cmd: string, args: readonly string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`)
}

/** Runs `calls` of each kind; returns the module's result lines */
function run (calls: number): KindCost[] {
  fs.writeFileSync(RUN, String(calls))
  return fs.readFileSync(RUN, 'utf8').trim().split('\n').map(line => {
    const [name, n, totalNs, medianCns, failed] = line.split(' ')
    if (Number(failed) !== 0) throw new Error(`${name}: ${failed} of ${n} calls failed`)
    return { name: name!, calls: Number(n), meanNs: Number(totalNs) / Number(n), medianNs: Number(medianCns) / 100 }
  })
}

const printkBefore = fs.readFileSync(PRINTK, 'utf8').trim().split(/\s+/)
fs.writeFileSync(PRINTK, `1 ${printkBefore.slice(1).join(' ')}`)
try {
  sh('insmod', [process.env.KRELAY_KO!, ...KRELAY_PARAMS])
  sh('insmod', [process.env.KRELAY_BENCH_KO!])
  run(1024) // warm-up: caches, the trace buffer's pages
  const kinds = run(CALLS)
  const stats = parseStats(fs.readFileSync(path.join(DEFAULT_CHANNEL_DIR, 'stats'), 'utf8'))
  const dropped = stats.cpus.reduce((n, c) => n + c.dropped, 0)
  if (dropped !== 0) throw new Error(`krelay dropped ${dropped} records: the buffer was too small for the run`)
  for (const k of kinds) {
    console.log(`${k.name.padEnd(15)} ${k.calls} calls: ${k.meanNs.toFixed(0)} ns/call mean, ${k.medianNs.toFixed(0)} ns/call median batch`)
  }
  const result: KernelCostResult = { cpus: stats.cpus.length, kinds }
  fs.writeFileSync(path.join(process.env.KRELAY_RESULTS!, RESULT_FILE), JSON.stringify(result))
  sh('rmmod', ['krelay_bench'])
  sh('rmmod', ['krelay'])
} finally {
  fs.writeFileSync(PRINTK, printkBefore.join(' '))
}
