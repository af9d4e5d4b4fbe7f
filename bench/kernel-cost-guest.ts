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
// 96 MiB on each CPU: three krelay kinds (krelay_write, krelay_printk, krelay_write_text) of the
// full run's 262144 records of at most 80 bytes each, and the warm-up's
const KRELAY_PARAMS = ['subbuf_size=4194304', 'n_subbufs=24']

function sh (cmd: string, args: readonly string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`)
}

const control = (command: string): void => fs.writeFileSync(path.join(DEFAULT_CHANNEL_DIR, 'control'), command)

/**
 * Runs `calls` of each kind; returns the module's results. krelay's own calls are checked
 * against the module's stats: every call wrote its record, none was dropped or filtered,
 * and every call returned 0.
 */
function run (calls: number): KindCost[] {
  control('reset-stats')
  fs.writeFileSync(RUN, String(calls))
  const stats = parseStats(fs.readFileSync(path.join(DEFAULT_CHANNEL_DIR, 'stats'), 'utf8'))
  const sum = (key: 'written' | 'dropped' | 'filtered' | 'tooBig'): number => stats.cpus.reduce((n, c) => n + c[key], 0)
  const krelayCalls = 3 * calls
  if (sum('written') !== krelayCalls || sum('dropped') || sum('filtered') || sum('tooBig')) {
    throw new Error(`krelay wrote ${sum('written')} of ${krelayCalls} records (dropped ${sum('dropped')}, filtered ${sum('filtered')}, too big ${sum('tooBig')})`)
  }
  return fs.readFileSync(RUN, 'utf8').trim().split('\n').map(line => {
    const [name, n, totalNs, medianCns, failed, err] = line.split(' ')
    if (Number(failed) !== 0) throw new Error(`${name}: ${failed} of ${n} calls failed, the first with error ${err}`)
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
  for (const k of kinds) {
    console.log(`${k.name.padEnd(15)} ${k.calls} calls: ${k.meanNs.toFixed(0)} ns/call mean, ${k.medianNs.toFixed(0)} ns/call median batch`)
  }
  const result: KernelCostResult = { cpus: Number(process.env.KRELAY_VM_CPUS), kinds }
  fs.writeFileSync(path.join(process.env.KRELAY_RESULTS!, RESULT_FILE), JSON.stringify(result))
  sh('rmmod', ['krelay_bench'])
  sh('rmmod', ['krelay'])
} finally {
  fs.writeFileSync(PRINTK, printkBefore.join(' '))
}
