// An archive for the report tests: `krelay collect` (a real process) on the simulator, fed
// a timeline of about 4 minutes of simulated time: three CPUs at rates that rise and fall,
// text records of several comms, pids, levels and types (some comms with HTML in them), a
// generator run, and one burst on CPU 1 far larger than its buffer, which the kernel
// (simulator) drops: loss rows of reason `dropped`.
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { RelaySim } from '../../collector/sim/relay-sim.ts'
import { KIND_BINARY, KIND_TEXT } from '../../formats/wire.ts'
import { collectorReading, serveControl, pump } from '../collector/collect/sim-driver.ts'
import { run, stop } from '../cli/live-run.ts'

/** comms that must come out escaped on the page */
export const HOSTILE_COMMS = ['</script><b>x', '<img src=x>', 'a&b"c\'d']
const COMMS = ['systemd', 'kworker/0:1', 'nginx', 'postgres', 'sshd', ...HOSTILE_COMMS]
const TYPES: [number, number][] = [[0x0000, KIND_TEXT], [0x0102, KIND_BINARY], [0x0007, KIND_TEXT]]
const SECONDS = 240
const BURST_AT = 150

/** Writes the timeline; `yieldEvery` records per CPU it lets the collector catch up. */
async function writeTimeline (sim: RelaySim): Promise<void> {
  sim.tsStep = 0
  let k = 0
  const payload = Buffer.from('report fixture record.....')
  for (let s = 0; s < SECONDS; s++) {
    // records per CPU in this second: a slow wave, CPU 2 idle in the middle
    const rates = [40 + Math.round(30 * Math.sin(s / 20)), 25 + (s % 60 < 10 ? 120 : 0), s > 80 && s < 120 ? 0 : 30]
    const total = rates.reduce((a, b) => a + b, 0)
    const order: number[] = []
    rates.forEach((r, cpu) => { for (let i = 0; i < r; i++) order.push(cpu) })
    for (let i = 0; i < order.length; i++) {
      // spread evenly over the second, CPUs interleaved
      sim.advance(Math.floor(1e9 / total))
      const j = order[(i * 7919) % order.length]!
      const [type, kind] = TYPES[k % 3 === 0 ? 1 : (k % 5 === 0 ? 2 : 0)]!
      const comm = COMMS[(k * 31 + j) % COMMS.length]!
      sim.write(j, { payload, type, kind, level: (k * 13) % 23 < 17 ? 6 : (k % 8), comm, pid: 1000 + (k % 37) + j * 100 })
      k++
    }
    if (s === BURST_AT) {
      // far more than CPU 1's buffer holds, with no chance to acknowledge: dropped
      for (let i = 0; i < 12_000; i++) { sim.advance(20_000); sim.write(1, { payload, comm: 'burst', pid: 777 }) }
    }
    if (s === 30) sim.runGen(400)
    pump(sim)
    sim.timerFlush()
    await sleep(s === BURST_AT ? 300 : 3)
  }
  sim.flush()
}

export interface SimArchive { out: string, sim: RelaySim }

/** Runs `krelay collect` on a fresh simulator, writes the timeline, stops the collector. */
export async function simArchive (dir: string): Promise<SimArchive> {
  const sim = new RelaySim({ cpus: [0, 1, 2], subbufSize: 4096, nSubbufs: 64, flushIntervalMs: 5 })
  const stopServing = serveControl(sim)
  const out = path.join(dir, 'archive')
  try {
    const collector = run(['collect', '--channel', sim.dir, '--out', out, '--host', 'sim', '--fsync', 'never', '--no-live'])
    await collectorReading(path.join(out, '.spool'))
    await writeTimeline(sim)
    await sleep(500)
    const status = await stop(collector)
    if (status !== 0) throw new Error(`krelay collect exited ${String(status)}: ${collector.stderr()}`)
  } finally {
    stopServing()
    sim.destroy()
  }
  return { out, sim }
}
