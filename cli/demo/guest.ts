// The guest side of `krelay demo` (run in the VM by cli/demo/demo.ts):
//   node --import tsx cli/demo/guest.ts --records N --rate R [--kill-collector K] [--tail-color always|never]
// insmod with a large buffer, start `krelay collect` as a child process, wait until it
// reads, make the generator write N records per CPU (meanwhile SIGKILL the collector K
// times and start it again), wait for it, SIGTERM the collector, wait for it, rmmod. With
// --tail-color (the host's stdout is a terminal) the scheduler source is on during the run
// and `krelay tail` is shown for its first seconds (shown-tail.ts). The
// archive goes to $KRELAY_RESULTS/archive, a report to $KRELAY_RESULTS/demo.json. Progress lines start with "krelay-demo: phase ".
import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseInfo, type ChannelInfo } from '../../formats/info.ts'
import { parseStats, type CpuStats } from '../../formats/stats.ts'
import { DEFAULT_CHANNEL_DIR } from '../../collector/source/channel.ts'
import { startCollectorReading, type CollectorProcess, describeExit } from './collector-process.ts'
import {
  DEMO_ARCHIVE, DEMO_DEFAULT_RATE, DEMO_KILL_COLLECTOR_ARGS, DEMO_LIVE_SOCKET, DEMO_N_SUBBUFS, DEMO_REPORT, DEMO_SUBBUF_SIZE, PHASE_PREFIX, TAIL_MS,
  type DemoGuestReport, type DemoKill,
} from './common.ts'
import { startShownTail, type ShownTail } from './shown-tail.ts'
import { isValidHost } from '../options.ts'

const DIR = DEFAULT_CHANNEL_DIR
const SPOOL = '/tmp/krelay-spool'

function phase (name: string, detail = ''): void {
  process.stdout.write(`${PHASE_PREFIX}${name}${detail === '' ? '' : ` ${detail}`}\n`)
}

function moduleLoaded (): boolean {
  return fs.readFileSync('/proc/modules', 'utf8').split('\n').some(l => l.startsWith('krelay '))
}

function readInfo (): ChannelInfo {
  return parseInfo(fs.readFileSync(path.join(DIR, 'info'), 'latin1'))
}

function readStats (): CpuStats[] {
  return parseStats(fs.readFileSync(path.join(DIR, 'stats'), 'latin1')).cpus
}

function control (command: string): void {
  fs.writeFileSync(path.join(DIR, 'control'), command)
}

function generatorRunning (): boolean {
  return readInfo().generator === 'running'
}

/**
 * SIGKILLs the collector `kills` times and starts it again each time: the first kill a
 * random 2-8 s into the generator run, each next one 0.5-3 s after the restarted
 * collector reads again, while it works through what the kernel kept meanwhile.
 */
async function killAndRestart (
  collector: CollectorProcess, kills: number, tGen: number, start: () => Promise<CollectorProcess>, report: DemoKill[]
): Promise<CollectorProcess> {
  for (let i = 1; i <= kills; i++) {
    await sleep(i === 1 ? 2000 + Math.random() * 6000 : 500 + Math.random() * 2500)
    const kill: DemoKill = { atMs: Date.now() - tGen, generatorRunning: generatorRunning(), restartMs: 0 }
    collector.kill('SIGKILL')
    const exit = await collector.exited
    if (exit.signal !== 'SIGKILL') throw new Error(`krelay collect ${describeExit(exit)} before kill ${i}: ${collector.output(5)}`)
    phase('kill', `${i} of ${kills}: SIGKILL at ${(kill.atMs / 1000).toFixed(1)} s into the generator run (${kill.generatorRunning ? 'running' : 'already finished'}); restarting`)
    const t = Date.now()
    collector = await start()
    kill.restartMs = Date.now() - t
    report.push(kill)
    phase('collector', `reading again after ${(kill.restartMs / 1000).toFixed(1)} s`)
  }
  return collector
}

/** Waits for the generator; returns the largest backlog seen (complete sub-buffers not yet acknowledged, any CPU). */
async function waitGeneratorIdle (timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs
  let backlog = 0
  for (;;) {
    for (const r of readStats()) backlog = Math.max(backlog, r.produced - r.consumed)
    if (!generatorRunning()) return backlog
    if (Date.now() > deadline) throw new Error(`the generator did not finish within ${Math.round(timeoutMs / 1000)} s`)
    await sleep(200)
  }
}

async function main (): Promise<number> {
  const { values } = parseArgs({
    options: {
      records: { type: 'string' },
      rate: { type: 'string', default: String(DEMO_DEFAULT_RATE) },
      'subbuf-size': { type: 'string', default: String(DEMO_SUBBUF_SIZE) },
      'n-subbufs': { type: 'string', default: String(DEMO_N_SUBBUFS) },
      'kill-collector': { type: 'string', default: '0' },
      'tail-color': { type: 'string' },
    },
  })
  const records = Number(values.records)
  const rate = Number(values.rate)
  const subbufSize = Number(values['subbuf-size'])
  const nSubbufs = Number(values['n-subbufs'])
  const kills = Number(values['kill-collector'])
  const tailColor = values['tail-color']
  if (tailColor !== undefined && tailColor !== 'always' && tailColor !== 'never') throw new Error(`--tail-color must be always or never, got ${tailColor}`)
  const ko = process.env.KRELAY_KO
  const results = process.env.KRELAY_RESULTS
  if (ko === undefined || results === undefined) throw new Error('cli/demo/guest.ts runs in the krelay test VM (KRELAY_KO and KRELAY_RESULTS unset)')
  if (!Number.isInteger(records) || records < 1) throw new Error(`--records must be a positive integer, got ${values.records}`)
  if (!Number.isInteger(kills) || kills < 0) throw new Error(`--kill-collector must be a number of kills, got ${values['kill-collector']}`)
  const host = isValidHost(os.hostname()) ? os.hostname() : `krelay-vm-${process.env.KRELAY_KERNEL ?? 'guest'}`
  const out = path.join(results, DEMO_ARCHIVE)
  const t0 = Date.now()
  const report: DemoGuestReport = {
    release: os.release(),
    cpus: [],
    records,
    rate,
    subbufSize,
    nSubbufs,
    stats: [],
    collector: { code: null, signal: null, summary: null },
    peakBacklog: 0,
    retries: [],
    kills: [],
    timings: { startMs: 0, genMs: 0, stopMs: 0, totalMs: 0 },
    host,
  }
  const writeReport = (): void => fs.writeFileSync(path.join(results, DEMO_REPORT), JSON.stringify(report, null, 2) + '\n')
  let collector: CollectorProcess | undefined
  let shown: ShownTail | undefined
  try {
    phase('insmod', `subbuf_size=${subbufSize} n_subbufs=${nSubbufs}`)
    const ins = spawnSync('insmod', [ko, `subbuf_size=${subbufSize}`, `n_subbufs=${nSubbufs}`], { encoding: 'utf8' })
    if (ins.status !== 0) throw new Error(`insmod ${ko} failed: ${ins.stderr.trim()}`)
    report.cpus = readInfo().cpus

    phase('collector', 'starting krelay collect')
    fs.rmSync(SPOOL, { recursive: true, force: true })
    const args = ['--out', out, '--spool', SPOOL, '--host', host, ...(kills > 0 ? DEMO_KILL_COLLECTOR_ARGS : []),
      ...(tailColor !== undefined ? ['--live-socket', DEMO_LIVE_SOCKET] : [])]
    const start = (): Promise<CollectorProcess> => startCollectorReading(args, SPOOL, {
      echo: line => process.stdout.write(`  | ${line}\n`),
      log: line => { report.retries.push(line); phase('collector', line) },
    })
    collector = await start()
    report.timings.startMs = Date.now() - t0
    if (tailColor !== undefined) {
      phase('tail', 'scheduler source on; starting krelay tail')
      control('source sched on')
      shown = await startShownTail(DEMO_LIVE_SOCKET, tailColor)
    }

    phase('generate', `${records} records per CPU on ${report.cpus.length} CPUs at ${rate === 0 ? 'full speed' : `${rate}/s per CPU`}`)
    const tGen = Date.now()
    control(`gen ${records} ${rate}`)
    const expectedMs = rate > 0 ? (records / rate) * 1000 : records / 50
    const tailShown = shown === undefined
      ? undefined
      : sleep(TAIL_MS).then(() => shown!.stop()).then(() => { shown = undefined; phase('tail', `stopped after ${TAIL_MS / 1000} s; the rest goes to the archive only`) })
    collector = await killAndRestart(collector, kills, tGen, start, report.kills)
    report.peakBacklog = await waitGeneratorIdle(Math.max(120_000, expectedMs * 4))
    await tailShown
    if (tailColor !== undefined) control('source sched off')
    report.timings.genMs = Date.now() - tGen
    report.stats = readStats().map(r => ({ cpu: r.cpu, written: r.written, dropped: r.dropped }))
    const dropped = report.stats.reduce((s, r) => s + r.dropped, 0)
    phase('generated', `in ${(report.timings.genMs / 1000).toFixed(1)} s, kernel dropped ${dropped}, peak backlog ${report.peakBacklog} of ${nSubbufs} sub-buffers`)

    phase('stop', 'SIGTERM to the collector; it flushes, reads what is left and publishes')
    const tStop = Date.now()
    const exit = await collector.stop('SIGTERM', 600_000)
    report.timings.stopMs = Date.now() - tStop
    report.collector = { code: exit.code, signal: exit.signal, summary: collector.summary ?? null }
    if (exit.code !== 0) throw new Error(`krelay collect ${describeExit(exit)}: ${collector.lines.filter(l => l.startsWith('krelay')).at(-1) ?? ''}`)

    phase('rmmod')
    execFileSync('rmmod', ['krelay'])
    report.timings.totalMs = Date.now() - t0
    phase('done', collector.summary ?? '')
    writeReport()
    return 0
  } catch (err) {
    report.error = err instanceof Error ? err.message : String(err)
    report.timings.totalMs = Date.now() - t0
    phase('failed', report.error.split('\n')[0])
    if (collector?.running) await collector.stop('SIGKILL')
    await shown?.stop()
    if (moduleLoaded()) spawnSync('rmmod', ['krelay'])
    writeReport()
    return 1
  }
}

process.exitCode = await main()
