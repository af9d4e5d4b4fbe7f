// A collector lapped by another acknowledger (the simulator's ack, as the module takes it):
// it notices within one pass, logs the lap once, goes on from the oldest sub-buffer still
// there, and the archive accounts for every record seq: the skipped ones as `collector`
// loss rows between the records on either side, counted in the summary.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { collect } from '../../../collector/collect/collect.ts'
import { RelaySim } from '../../../collector/sim/relay-sim.ts'
import { seqCover } from '../../../offline/seq-cover.ts'
import { readLossRows } from '../../loss-rows.ts'
import { collectOptions, collectorReading, pump, serveControl } from './sim-driver.ts'

const COUNT = 4000

test('a collector whose sub-buffers another process acknowledged records the skipped range as collector losses and goes on', async () => {
  const sim = new RelaySim({ cpus: [0, 1], subbufSize: 4096, nSubbufs: 4, flushIntervalMs: 5 })
  const stop = new AbortController()
  const lines: string[] = []
  const opts = collectOptions(sim, stop.signal, { log: line => { lines.push(line) } })
  const stopServing = serveControl(sim)
  const running = collect(opts)
  await collectorReading(opts.spoolDir)
  sim.startGen(COUNT)
  let laps = 0
  for (let step = 0, left = COUNT; left > 0; step++) {
    if (step === 20 || step === 40) {
      // Without yielding to the collector: another acknowledger frees cpu 0's sub-buffers
      // as they complete, so the writer reuses slots the collector has not read.
      for (let i = 0; i < 6; i++) {
        sim.ack(0, sim.cpu(0).produced)
        left = sim.genStep(16)
        pump(sim)
      }
      laps++
    } else {
      left = sim.genStep(16)
      pump(sim)
    }
    sim.timerFlush()
    await sleep(2)
  }
  sim.flush()
  await sleep(50)
  stop.abort()
  const summary = await running
  stopServing()

  const lapLines = lines.filter(l => l.includes('lapped'))
  assert.equal(lapLines.length, laps, `one log line per lap:\n${lines.join('\n')}`)
  assert.ok(lapLines.every(l => l.startsWith('cpu 0: lapped: ') && l.includes('another process acknowledged them')), lapLines.join('\n'))

  const cpus = await seqCover(opts.out)
  for (const c of cpus) {
    assert.deepEqual({ cpu: c.cpu, first: c.first, last: c.last, gaps: c.gaps, overlaps: c.overlaps }, { cpu: c.cpu, first: 1, last: COUNT, gaps: 0, overlaps: 0 }, c.problem)
    assert.equal(c.records + c.lost, COUNT, `cpu ${c.cpu}`)
  }
  const losses = await readLossRows(opts.out)
  const collector = losses.filter(l => l.reason === 'collector')
  assert.equal(collector.length, laps, JSON.stringify(losses))
  assert.ok(collector.every(l => l.cpu === 0 && l.count > 0 && l.neighbours), JSON.stringify(collector))
  assert.ok(losses.every(l => l.reason === 'collector' || l.reason === 'dropped'), JSON.stringify(losses))
  const last = cpus.find(c => c.cpu === 0)!
  assert.ok(last.records > 0)
  // it went on archiving after the last lap: records after the last collector loss
  const after = collector.at(-1)!
  assert.ok(after.firstSeq + after.count <= COUNT, 'records follow the last lap')
  assert.equal(summary.lostRecords, losses.reduce((s, l) => s + l.count, 0), 'the summary counts them')
  assert.ok(summary.lostRecords >= collector.reduce((s, l) => s + l.count, 0))
  sim.destroy()
})
