// memory: peak RSS of the collector after 1M, 10M and 100M records from the simulator.
//
//   node --import tsx bench/memory.ts [--quick] [--saturate]        (quick: 0.2M, 1M, 2M)
//
// `krelay collect` runs as a user runs it: bin/krelay.js run as a program, as the installed
// command and the service run it (its first line sets MALLOC_ARENA_MAX), in its own
// process (--fsync never --no-live, archive and spool in os.tmpdir()), on a simulator
// this process drives like the module:
// the generator writes continuously on 4 CPUs (module defaults: 8 x 256 KiB sub-buffers)
// at the rate the collector sustains (never more than the free sub-buffers hold, so
// nothing is dropped; see SATURATE), the flush timer runs every 100 ms, and the control
// file's acks are applied as they come (the simulator replaces stats whole at each
// change, as a collector in another process needs). The
// collector's VmHWM (/proc/<pid>/status) is sampled every 100 ms and noted when the
// collector has acknowledged each checkpoint's records; at the end it is stopped with
// SIGTERM and must say it archived every record.
// Goals: flat (peak after the last checkpoint at most 1.2x the first) and under 256 MiB.
// Beside the RSS, each checkpoint line shows its parts (/proc/<pid>/status): anon (V8's
// heaps, DuckDB's allocations, buffers), file (mapped code: node's and libduckdb's
// text, shared with every other process running them) and shmem (the simulator's relay
// buffers, mapped; with the module they are the kernel's pages). The goals count all of it.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setImmediate as yieldNow, setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { RelaySim } from '../collector/sim/relay-sim.ts'
import { SUBBUF_HDR } from '../formats/wire.ts'
import { goalLine, isQuick } from './goal.ts'

const QUICK = isQuick()
const CHECKPOINTS = QUICK ? [200_000, 1_000_000, 2_000_000] : [1_000_000, 10_000_000, 100_000_000]
const CPUS = 4
const SUBBUF = 256 * 1024
const N_SUBBUFS = 8
const LIMIT_MIB = 256
/**
 * --saturate: write whenever a sub-buffer is free. The collector is then always behind, so
 * the flush timer never advances a watermark (PROTOCOL.md §4) and the merge holds records
 * until its memory bound forces them out. By default the generator writes at most BURST
 * records per CPU per timer tick, and only after a tick at which the collector had caught
 * up: a rate the collector sustains, whatever it is.
 */
const SATURATE = process.argv.includes('--saturate')
const BURST = Math.floor(3 * SUBBUF / 96)
/** more `krelay collect` options, to see what they change, e.g. KRELAY_BENCH_COLLECT_ARGS='--file-size 16' */
const EXTRA = (process.env.KRELAY_BENCH_COLLECT_ARGS ?? '').split(' ').filter(a => a !== '')
/** KRELAY_BENCH_TRACE=1: print the collector's RSS every 2 s, and its log lines, with the time: where a peak is */
const TRACE = process.env.KRELAY_BENCH_TRACE === '1'
const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'krelay.js')
/** longest generator record: header + 16-byte payload + 60 fill bytes, aligned */
const MAX_RECORD = 128

function status (pid: number, field: 'VmHWM' | 'VmRSS' | 'RssAnon' | 'RssFile' | 'RssShmem'): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'latin1'))
    return m ? Number(m[1]) * 1024 : undefined
  } catch {
    return undefined // exited
  }
}

const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(0)} MiB`
const label = (n: number): string => `${n / 1e6}M`

/**
 * Per CPU, records in sub-buffers 1..seq for every closed seq (index seq), extended with
 * the headers of sub-buffers closed since the last call: read before any slot can be
 * reused, since a slot is opened again only after an ack, and acks wait for pumpControl.
 */
function countClosed (sim: RelaySim, cumulative: Map<number, number[]>): void {
  for (const [cpu, c] of sim.cpus) {
    const cum = cumulative.get(cpu)!
    for (let seq = cum.length; seq <= c.produced; seq++) {
      cum.push(cum[seq - 1]! + sim.mapping(cpu).readUInt32LE(sim.slotOffset(seq) + SUBBUF_HDR.nrecords.offset))
    }
  }
}

/** Records the collector acknowledged: those in sub-buffers 1..consumed. */
function acked (sim: RelaySim, cumulative: Map<number, number[]>): number {
  let n = 0
  for (const [cpu, c] of sim.cpus) n += cumulative.get(cpu)![c.consumed]!
  return n
}

const total = CHECKPOINTS[CHECKPOINTS.length - 1]!
const perCpu = Math.ceil(total / CPUS)
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'krelay-bench-memory-'))
const sim = new RelaySim({ cpus: [...Array(CPUS).keys()], subbufSize: SUBBUF, nSubbufs: N_SUBBUFS, flushIntervalMs: 100, staleFill: false })
console.log(`memory: krelay collect on the simulator, ${CPUS} CPUs x ${N_SUBBUFS} x ${SUBBUF / 1024} KiB, ${CHECKPOINTS.map(label).join(' / ')} records`)
sim.startGen(perCpu) // info changes now, before the collector reads it
const child = spawn(BIN, ['collect', '--channel', sim.dir, '--out', out, '--host', 'bench', '--fsync', 'never', '--no-live', ...EXTRA], { stdio: ['ignore', 'pipe', 'pipe'] })
let stdout = ''
let stderr = ''
const started = performance.now()
const at = (): string => `${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s`
const trace = (b: Buffer): void => { if (TRACE) for (const line of b.toString().trimEnd().split('\n')) console.log(`${at()}  ${line}`) }
child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); trace(b) })
child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); trace(b) })
const exited = new Promise<number | string>(resolve => child.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown')))
let peak = 0
const sampler = setInterval(() => { peak = Math.max(peak, status(child.pid!, 'VmHWM') ?? 0) }, 100)
const tracer = TRACE ? setInterval(() => console.log(`${at()}  RSS ${mib(status(child.pid!, 'VmRSS') ?? 0)}, peak ${mib(status(child.pid!, 'VmHWM') ?? 0)}`), 2000) : undefined

try {
  const t0 = performance.now()
  const cumulative = new Map([...sim.cpus.keys()].map(cpu => [cpu, [0]]))
  const notes: Array<{ records: number, hwm: number, rss: number, parts: string, seconds: number }> = []
  let left = perCpu
  let nextTimer = performance.now() + sim.flushIntervalMs
  /** records per CPU the generator may still write before the next timer tick */
  let budget = SATURATE ? Infinity : BURST
  for (;;) {
    // the module's flush timer (PROTOCOL.md §4): it advances the watermarks of CPUs whose consumer keeps up
    if (performance.now() >= nextTimer) {
      sim.timerFlush()
      nextTimer = performance.now() + sim.flushIntervalMs
      if (!SATURATE) budget = [...sim.cpus.values()].every(c => c.consumed === c.produced) ? BURST : 0
    }
    const errors = sim.pumpControl()
    if (errors.length > 0) throw new Error(`a control command of krelay collect failed: ${errors[0]!.message}`)
    if (child.exitCode !== null) throw new Error(`krelay collect exited early (${child.exitCode}): ${stderr}`)
    // room for this many records on every CPU without a drop (one sub-buffer kept free)
    let room = Infinity
    for (const c of sim.cpus.values()) room = Math.min(room, Math.floor((N_SUBBUFS - 1 - (c.produced - c.consumed)) * SUBBUF / MAX_RECORD) - 1)
    const step = Math.min(room, 4096, budget)
    if (left > 0 && step > 0) {
      left = sim.genStep(step)
      budget -= step
      await yieldNow() // the sampler and the child's output
    } else {
      if (left === 0) sim.flush() // the last records: the collector waits for nothing else
      await sleep(left === 0 ? 5 : 1)
    }
    countClosed(sim, cumulative)
    const done = acked(sim, cumulative)
    while (notes.length < CHECKPOINTS.length && done >= CHECKPOINTS[notes.length]!) {
      const hwm = status(child.pid!, 'VmHWM') ?? 0
      peak = Math.max(peak, hwm)
      const parts = (['RssAnon', 'RssFile', 'RssShmem'] as const).map(f => `${f.slice(3).toLowerCase()} ${mib(status(child.pid!, f) ?? 0)}`).join(', ')
      const note = { records: CHECKPOINTS[notes.length]!, hwm, rss: status(child.pid!, 'VmRSS') ?? 0, parts, seconds: (performance.now() - t0) / 1000 }
      notes.push(note)
      console.log(`after ${label(note.records).padStart(5)} records  peak RSS ${mib(note.hwm).padStart(8)}  RSS ${mib(note.rss).padStart(8)} (${note.parts})  ${note.seconds.toFixed(0).padStart(5)} s`)
    }
    if (notes.length === CHECKPOINTS.length) break
  }
  child.kill('SIGTERM')
  // serve the collector's last flush and acks while it stops
  const serve = setInterval(() => { sim.pumpControl() }, 2)
  const code = await exited
  clearInterval(serve)
  const m = /(\d+) records archived/.exec(stdout)
  if (code !== 0 || m === null || Number(m[1]) !== perCpu * CPUS) {
    throw new Error(`krelay collect exited with ${code} after archiving ${m?.[1] ?? 'no'} records of ${perCpu * CPUS}: ${stderr}`)
  }
  const first = notes[0]!
  const last = notes[notes.length - 1]!
  console.log(`stopped: ${m[1]} records archived in ${((performance.now() - t0) / 1000).toFixed(0)} s; peak RSS at any time ${mib(peak)}`)
  console.log(goalLine({
    name: 'memory',
    figure: `${mib(last.hwm)} peak RSS after ${label(last.records)} records`,
    ratio: last.hwm / first.hwm,
    baseline: `the peak after ${label(first.records)}`,
    goal: '<= 1.2x',
    met: last.hwm <= 1.2 * first.hwm,
  }))
  console.log(goalLine({
    name: 'memory',
    figure: `${mib(peak)} peak RSS, stop included`,
    ratio: peak / (LIMIT_MIB * 1048576),
    baseline: `${LIMIT_MIB} MiB`,
    goal: '< 1x',
    met: peak < LIMIT_MIB * 1048576,
  }))
} finally {
  clearInterval(sampler)
  clearInterval(tracer)
  if (child.exitCode === null) child.kill('SIGKILL')
  sim.destroy()
  fs.rmSync(out, { recursive: true, force: true })
}
