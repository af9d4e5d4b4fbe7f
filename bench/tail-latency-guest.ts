// The guest side of bench/tail-latency.ts (runs in the VM, as root, KRELAY_KO and
// KRELAY_RESULTS set by the harness): loads the module with its defaults, starts
// `krelay collect` and `krelay tail --json` as a user would, runs the generator at a modest
// rate, and for every generator line notes when it reached this process (the guest's
// CLOCK_MONOTONIC: process.hrtime is libuv's uv_hrtime, which reads CLOCK_MONOTONIC) against
// the record's own mono_ns (the kernel's CLOCK_MONOTONIC when it wrote it).
//
//   node --import tsx bench/tail-latency-guest.ts <records per CPU> <rate per CPU> <result file in KRELAY_RESULTS>
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { KRELAY_BIN, startCollectorReading } from '../cli/demo/collector-process.ts'
import { DEFAULT_CHANNEL_DIR } from '../collector/source/channel.ts'

export interface TailLatencyResult {
  flushMs: number
  cpus: number
  records: number
  p50Ms: number
  p90Ms: number
  p99Ms: number
  maxMs: number
}

const RECORDS = Number(process.argv[2])
const RATE = Number(process.argv[3])
const RESULT_FILE = process.argv[4]!
const WARMUP = 200
const MONO = /"mono_ns":"(\d+)"/

function infoKey (name: string): string {
  const line = fs.readFileSync(path.join(DEFAULT_CHANNEL_DIR, 'info'), 'utf8').split('\n').find(l => l.startsWith(`${name} `))
  if (line === undefined) throw new Error(`info has no ${name}`)
  return line.slice(name.length + 1)
}

const control = (command: string): void => fs.writeFileSync(path.join(DEFAULT_CHANNEL_DIR, 'control'), command)

async function until (cond: () => boolean, what: string, ms = 120_000): Promise<void> {
  for (const t0 = Date.now(); !cond();) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

const insmod = spawnSync('insmod', [process.env.KRELAY_KO!], { encoding: 'utf8' })
if (insmod.status !== 0) throw new Error(`insmod: ${insmod.stderr}`)
const flushMs = Number(infoKey('flush_interval_ms'))
const cpus = infoKey('cpus').split(' ').length
const dir = '/tmp/krelay-bench-tail'
fs.rmSync(dir, { recursive: true, force: true })
const collector = await startCollectorReading(['--out', `${dir}/out`, '--spool', `${dir}/spool`, '--host', 'bench'], `${dir}/spool`, {
  log: line => console.log(`collect: ${line}`),
})

// latencies in ns of the generator lines; the reader does no more than split and match
let latencies: number[] = []
let partial = ''
const tail = spawn(process.execPath, [KRELAY_BIN, 'tail', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
let tailErr = ''
tail.stderr.setEncoding('utf8').on('data', (s: string) => { tailErr += s })
tail.stdout.setEncoding('utf8').on('data', (s: string) => {
  const now = process.hrtime.bigint()
  const lines = (partial + s).split('\n')
  partial = lines.pop()!
  for (const line of lines) {
    const m = MONO.exec(line)
    if (m !== null) latencies.push(Number(now - BigInt(m[1]!)))
  }
})
await until(() => /following channel/.test(tailErr), 'krelay tail to follow the channel')

/** One generator run of `records` per CPU; resolves once the tail printed them all. */
async function run (records: number, rate: number): Promise<void> {
  latencies = []
  control(`gen ${records} ${rate}`)
  await until(() => latencies.length === records * cpus, `the tail to print ${records * cpus} lines (has ${latencies.length})`, records / rate * 1000 + 60_000)
}

// the first records go through code the JIT has not compiled yet, in both processes
await run(WARMUP, RATE)
await run(RECORDS, RATE)
const sorted = Float64Array.from(latencies).sort()
const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! / 1e6
const result: TailLatencyResult = { flushMs, cpus, records: sorted.length, p50Ms: at(0.5), p90Ms: at(0.9), p99Ms: at(0.99), maxMs: at(1) }
console.log(`tail latency, ${cpus} CPUs x ${RECORDS} generator records at ${RATE}/s each, flush interval ${flushMs} ms: ` +
  `p50 ${result.p50Ms.toFixed(1)} ms, p90 ${result.p90Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms, max ${result.maxMs.toFixed(1)} ms`)
fs.writeFileSync(path.join(process.env.KRELAY_RESULTS!, RESULT_FILE), JSON.stringify(result))

tail.kill('SIGINT')
await collector.stop('SIGTERM')
spawnSync('rmmod', ['krelay'])
