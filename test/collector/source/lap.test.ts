// A lapped reader (lap.ts): where it goes on from, and the reader against the simulator
// with another acknowledger (the onSubbuf path that `krelay tail` direct mode uses).
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRecordView } from '../../../formats/record.ts'
import { openChannel } from '../../../collector/source/channel.ts'
import { lapMessage, lapTarget, type Lap } from '../../../collector/source/lap.ts'
import { ChannelReader } from '../../../collector/source/reader.ts'
import { forEachRecord, type LossEvent } from '../../../collector/source/records.ts'
import { RelaySim } from '../../../collector/sim/relay-sim.ts'

const sims: RelaySim[] = []
after(() => { for (const sim of sims) sim.destroy() })

const COUNT = 3000

/**
 * A reader of a simulated channel (2 KiB x 4 sub-buffers) that records each CPU's record
 * seqs, its losses and its laps, after ten passes of the generator's COUNT records per CPU:
 * `next` is the sub-buffer cpu 0 waits for then.
 */
async function readerUnderWay (cpus: number[]) {
  const sim = new RelaySim({ cpus, subbufSize: 2048, nSubbufs: 4 })
  sims.push(sim)
  const laps: Lap[] = []
  const records = new Map<number, number[]>(cpus.map(c => [c, []]))
  const losses: LossEvent[] = []
  const rec = createRecordView()
  const reader = new ChannelReader(openChannel(sim.dir), {
    acker: sim.acker,
    onSubbuf (sub) {
      forEachRecord(sub.view, sub.recordsStart, sub.recordsEnd, rec, r => records.get(sub.cpu)!.push(r.seq))
      losses.push(...sub.losses)
    },
    onLap: lap => laps.push(lap),
  })
  sim.startGen(COUNT)
  for (let i = 0; i < 10; i++) { sim.genStep(10); await reader.pass() }
  return { sim, reader, laps, records, losses, next: reader.next(0)! }
}

/** Passes until the generator is done and the last sub-buffers are flushed. */
async function readToEnd (sim: RelaySim, reader: ChannelReader): Promise<void> {
  while (sim.genStep(10) > 0) await reader.pass()
  sim.flush()
  await reader.pass()
}

test('lapTarget: not lapped while the awaited sub-buffer is unacknowledged and its slot not reused', () => {
  assert.equal(lapTarget(5, { consumed: 4, produced: 4 }, 4), 0)
  assert.equal(lapTarget(5, { consumed: 4, produced: 8 }, 4), 0, 'produced 8 lives in slot of 4, not of 5')
  assert.equal(lapTarget(1, { consumed: 0, produced: 0 }, 4), 0)
})

test('lapTarget: acknowledged by another goes on at consumed + 1; reused behind the accounting at produced - n + 2', () => {
  assert.equal(lapTarget(5, { consumed: 5, produced: 5 }, 4), 6, 'one sub-buffer acked: the next one, even if not complete yet')
  assert.equal(lapTarget(5, { consumed: 10, produced: 13 }, 4), 11)
  assert.equal(lapTarget(5, { consumed: 4, produced: 9 }, 4), 7, 'sub-buffer 9 reused 5\'s slot; 6 may be holding the open 10')
})

test('lapMessage names the cpu, the skipped sub-buffers, why, and where it goes on', () => {
  const lap: Lap = { cpu: 3, from: 5, to: 11, consumed: 10, produced: 13 }
  assert.equal(lapMessage(lap), 'cpu 3: lapped: 6 sub-buffers (5..10) were gone before this consumer took them: ' +
    'another process acknowledged them (stats: consumed 10); going on from sub-buffer 11, their records are counted as lost (reason collector)')
  assert.match(lapMessage({ cpu: 0, from: 5, to: 6, consumed: 4, produced: 9 }), /^cpu 0: lapped: 1 sub-buffer \(5\.\.5\) .*their slots hold later sub-buffers \(stats: produced 9, consumed 4; did something read\(\) the cpu file\?\)/)
})

test('a reader whose sub-buffers another acknowledger freed notices at its next pass, once, and the gap is a collector loss', async () => {
  const { sim, reader, laps, records, losses, next } = await readerUnderWay([0, 1])
  // another acknowledger frees cpu 0's sub-buffers as they complete, the reader not passing
  for (let i = 0; i < 5; i++) { sim.ack(0, sim.cpu(0).produced); sim.genStep(20) }
  assert.ok(sim.cpu(0).consumed >= next)
  const consumed = sim.cpu(0).consumed
  await reader.pass()
  assert.deepEqual(laps, [{ cpu: 0, from: next, to: consumed + 1, consumed, produced: laps[0]?.produced }], 'noticed within one pass')
  await readToEnd(sim, reader)
  assert.equal(laps.length, 1, 'one lap')

  const lapLoss = losses.filter(l => l.reason === 'collector')
  assert.equal(lapLoss.length, 1)
  const seen0 = records.get(0)!
  const before = seen0.filter(s => s < lapLoss[0]!.firstSeq).at(-1)!
  const afterSeq = seen0.find(s => s > lapLoss[0]!.firstSeq)!
  assert.equal(lapLoss[0]!.firstSeq, before + 1, 'from the last record seen + 1')
  assert.equal(lapLoss[0]!.firstSeq + lapLoss[0]!.count, afterSeq, 'to the first record of the next sub-buffer taken - 1 (no drops on cpu 0)')
  for (const cpu of [0, 1]) {
    const seen = records.get(cpu)!
    const lost = losses.filter(l => l.cpu === cpu).reduce((s, l) => s + l.count, 0)
    assert.equal(new Set(seen).size, seen.length, `cpu ${cpu}: no record twice`)
    assert.equal(seen.length + lost, COUNT, `cpu ${cpu}: records + losses account for every seq`)
  }
  assert.ok(losses.filter(l => l.cpu === 1).every(l => l.reason === 'dropped'), 'cpu 1 was not lapped, only dropped while the reader did not pass')
})

test('a reader whose slots were reused behind the accounting (relay read() of the cpu file) goes on from produced - n + 2, and accounts for every seq', async () => {
  const { sim, reader, laps, records, losses, next } = await readerUnderWay([0])
  const seen = records.get(0)!
  for (let i = 0; i < 3; i++) { sim.cpu(0).relayRead(); sim.genStep(60) }
  const { consumed, produced } = sim.cpu(0)
  assert.ok(consumed < next && produced >= next + 4, `the slot of ${next} was reused (produced ${produced}) with consumed still ${consumed}`)
  await reader.pass()
  assert.deepEqual(laps, [{ cpu: 0, from: next, to: produced - 2, consumed, produced }])
  await readToEnd(sim, reader)
  const lost = losses.reduce((s, l) => s + l.count, 0)
  assert.equal(new Set(seen).size, seen.length, 'no record twice')
  assert.equal(seen.length + lost, COUNT, 'records + losses account for every seq')
  assert.ok(losses.some(l => l.reason === 'collector'), JSON.stringify(losses))
})
