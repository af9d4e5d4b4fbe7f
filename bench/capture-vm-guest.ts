// The guest side of bench/capture-vm.ts (runs in the VM as root; KRELAY_KO and
// KRELAY_RESULTS set by the harness). For each consumer, on a freshly loaded module with its
// default parameters: the highest generator rate it sustains with no kernel drop, with one
// busy CPU and with all CPUs busy (bench/capture-vm-steps.ts searches the rate).
//   - the baseline: bench/c/relay-read.c (blktrace's way: a thread per CPU, poll() +
//     read() of the relay file into a file), started before and stopped after every step;
//   - `krelay collect` as a user runs it (spool and archive in the guest's tmpfs /tmp),
//     started once per module load; after every step it is given time to catch up: a
//     flush, every sub-buffer acknowledged, and its CPU use back near idle for two seconds
//     (the archive finished), so that every step starts from an idle collector.
// Before them, the CPU per sub-buffer of the least capture does against the C consumer's
// work (bench/capture-floor.ts).
//
//   node --import tsx bench/capture-vm-guest.ts <relay-read binary> <quick 0|1> <result file>
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { startCollectorReading, type CollectorProcess } from '../cli/demo/collector-process.ts'
import { floorLine, measureFloor, type CaptureFloor } from './capture-floor.ts'
import { CHANNEL, control, readInfo, readStats, search, until, type Busy, type SearchPlan, type SearchResult } from './capture-vm-steps.ts'

export interface CaptureVmResult {
  cpus: number
  subbufSize: number
  nSubbufs: number
  flushMs: number
  /** by consumer ('c', 'collector'), then by Busy */
  results: Record<'c' | 'collector', Record<Busy, SearchResult>>
  floor: CaptureFloor
}

const [RELAY_READ, QUICK, RESULT_FILE] = process.argv.slice(2) as [string, string, string]
const quick = QUICK === '1'
// A step's first records fill the buffer (2 MiB per CPU, some 23k records) whatever the
// consumer does: 5 s steps measure a sustained rate; the quick mode's 0.5 s steps only show
// that everything runs.
const plan: SearchPlan = quick
  ? { startRate: 20_000, seconds: 0.5, maxDoublings: 2, bisections: 0 }
  : { startRate: 10_000, seconds: 5, maxDoublings: 6, bisections: 3 }
const DIR = '/tmp/krelay-bench-capture'
const T0 = Date.now()
const log = (s: string): void => console.log(`[${((Date.now() - T0) / 1000).toFixed(1)} s] ${s}`)

function insmod (): void {
  const r = spawnSync('insmod', [process.env.KRELAY_KO!], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`insmod: ${r.stderr}`)
}

function rmmod (): void {
  const r = spawnSync('rmmod', ['krelay'], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`rmmod: ${r.stderr}`)
}

/** One run of the C consumer around `body`: started before, drained and stopped after. */
async function withRelayRead (body: () => Promise<void>): Promise<void> {
  const out = path.join(DIR, 'relay-read')
  fs.rmSync(out, { recursive: true, force: true })
  fs.mkdirSync(out, { recursive: true })
  const child = spawn(RELAY_READ, [CHANNEL, out], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s })
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  const exited = new Promise<number | null>(resolve => child.on('close', code => resolve(code)))
  await until(() => stdout.includes('reading') || child.exitCode !== null, 'relay-read to start', 30_000)
  try {
    await body()
  } finally {
    // the records still in the open sub-buffers, then read() to the end
    control('flush')
    child.kill('SIGTERM')
  }
  const code = await exited
  if (code !== 0) throw new Error(`relay-read exited with ${code}: ${stderr}`)
}

/** utime + stime of a process, all threads, in clock ticks */
function cpuTicks (pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(fields[11]) + Number(fields[12])
}

/**
 * Waits until the collector acknowledged everything and its archive work on what it spooled
 * is done: two 1 s windows in a row in which it used at most 60% of a CPU. (Idle, polling the
 * channel every flush interval, it uses 20-60% of an emulated CPU under TCG; busy, 100-260%.)
 * 60 s at most.
 */
async function collectorCaughtUp (c: CollectorProcess): Promise<void> {
  control('flush')
  await until(() => readStats().cpus.every(s => s.consumed >= s.produced), 'the collector to acknowledge every sub-buffer', 300_000, 20)
  const t0 = Date.now()
  const windows: number[] = []
  for (let before = cpuTicks(c.pid); ;) {
    await sleep(1000)
    if (!c.running) throw new Error(`krelay collect exited:\n${c.output()}`)
    const now = cpuTicks(c.pid)
    windows.push(now - before)
    before = now
    // 100 ticks a second
    if (windows.length >= 2 && windows.slice(-2).every(t => t <= 60)) break
    if (Date.now() - t0 > 60_000) {
      log(`  the collector is still busy after 60 s (CPU ticks per second: ${windows.join(' ')}); going on`)
      return
    }
  }
  log(`  collector caught up; CPU ticks per second while waiting: ${windows.join(' ')}`)
}

const modes: Busy[] = ['one', 'all']
fs.rmSync(DIR, { recursive: true, force: true })

insmod()
const info = readInfo()
const results = { c: {}, collector: {} } as CaptureVmResult['results']
log(`channel: ${info.cpus.length} CPUs, ${info.nSubbufs} x ${info.subbufSize} bytes per CPU, flush every ${info.flushIntervalMs} ms`)
const floor = measureFloor(info.subbufSize, quick ? 20 : 200, DIR)
log(floorLine(floor, info.subbufSize))
for (const busy of modes) {
  log(`relay-read (C, poll + read), ${busy} busy:`)
  results.c[busy] = await search(busy, plan, async () => {}, log, withRelayRead)
}
log('rmmod')
rmmod()

// a fresh load: the C consumer's read() left krelay's acknowledged count behind relay's own
insmod()
log('insmod; starting krelay collect')
const collector = await startCollectorReading(['--out', `${DIR}/out`, '--spool', `${DIR}/spool`, '--host', 'bench'], `${DIR}/spool`, {
  log,
})
try {
  // the first records go through code the JIT has not compiled yet
  log('krelay collect reads; warm-up')
  control(`gen ${quick ? 2000 : 20_000} 0`)
  await until(() => readInfo().generator === 'idle', 'the warm-up run', 120_000)
  await collectorCaughtUp(collector)
  for (const busy of modes) {
    log(`krelay collect, ${busy} busy:`)
    results.collector[busy] = await search(busy, plan, async () => await collectorCaughtUp(collector), log)
  }
} finally {
  await collector.stop('SIGTERM')
}
rmmod()
if (collector.exitStatus?.code !== 0) throw new Error(`krelay collect exited with ${JSON.stringify(collector.exitStatus)}:\n${collector.output()}`)

const result: CaptureVmResult = {
  cpus: info.cpus.length, subbufSize: info.subbufSize, nSubbufs: info.nSubbufs, flushMs: info.flushIntervalMs, results, floor,
}
fs.writeFileSync(path.join(process.env.KRELAY_RESULTS!, RESULT_FILE), JSON.stringify(result))
