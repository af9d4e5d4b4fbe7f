// Drop hints from a series of status snapshots: judged when a burst ends, at most one line
// per CPU every HINT_INTERVAL_S summing what it dropped since, sustained drops called so,
// a new channel starting again, and the run's summary.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DropWatch, HINT_INTERVAL_S } from '../../../cli/collect/drop-watch.ts'
import { SUSTAINED_S } from '../../../cli/collect/drop-hint.ts'
import { snapshot } from './snapshots.ts'

const g = { subbufSize: 262144, nSubbufs: 8 }

/** Feeds one snapshot a second; `cpu0(t)` gives cpu 0's cumulative [records, dropped] at second t. Returns the lines per second. */
function feed (w: DropWatch, seconds: number, cpu0: (t: number) => [number, number], from = 0): Map<number, string[]> {
  const out = new Map<number, string[]>()
  for (let t = from; t < from + seconds; t++) {
    const [records, dropped] = cpu0(t)
    const lines = w.take(snapshot(t, [{ cpu: 0, records, dropped }, { cpu: 1, records: t * 100 }]))
    if (lines.length > 0) out.set(t, lines)
  }
  return out
}

test('no drops: no line, no summary', () => {
  const w = new DropWatch(() => g)
  assert.deepEqual([...feed(w, 30, t => [t * 1000, 0])], [])
  assert.deepEqual(w.finish(), [])
  assert.equal(w.summary(), undefined)
})

test('a burst: one line when it ended, with the advice; the next burst within the interval waits and is summed', () => {
  const w = new DropWatch(() => g)
  // drops at seconds 3 and 4 (300 in all), none from 5; again 50 at second 8 and 20 at second 20
  const dropped = (t: number): number => (t >= 3 ? 100 : 0) + (t >= 4 ? 200 : 0) + (t >= 8 ? 50 : 0) + (t >= 20 ? 20 : 0)
  const lines = feed(w, 30, t => [t * 1000, dropped(t)])
  assert.deepEqual([...lines.keys()], [5, 15, 25], 'at the end of the first burst, then not before 10 s after the last line')
  assert.match(lines.get(5)![0]!, /^cpu 0: 300 records dropped in the last 3\.0 s .*modprobe krelay n_subbufs=12 subbuf_size=262144 /)
  assert.match(lines.get(15)![0]!, /^cpu 0: 50 records dropped in the last 8\.0 s /, 'the burst at 8 s, told at 15 s')
  assert.match(lines.get(25)![0]!, /^cpu 0: 20 records dropped in the last 6\.0 s /)
  assert.deepEqual(w.finish(), [])
  assert.equal(w.dropped.get(0), 370)
  assert.match(w.summary()!, /^krelay collect: 370 records dropped by the kernel \(cpu 0: 370\); consider modprobe krelay n_subbufs=12 subbuf_size=262144 /)
})

test('drops in every second: called too slow once they lasted SUSTAINED_S, then a line every HINT_INTERVAL_S', () => {
  const w = new DropWatch(() => g)
  const lines = feed(w, 35, t => [t * 5000, t * 15_000])
  const at = [...lines.keys()]
  assert.equal(at[0], SUSTAINED_S, String(at))
  for (let i = 1; i < at.length; i++) assert.ok(at[i]! - at[i - 1]! >= HINT_INTERVAL_S, String(at))
  assert.match(lines.get(SUSTAINED_S)![0]!, /^cpu 0: 150,000 records dropped in the last 10\.0 s, in every second for 10 s: the collector took 5,000 records\/s of this CPU while it wrote 20,000\/s/)
  assert.match(w.summary()!, /the collector was too slow for cpu 0/)
})

test('the end tells what is pending; a new channel starts from zero; no geometry: the drops without advice', () => {
  let known = true
  const w = new DropWatch(id => known && id === '0123456789abcdef' ? g : undefined)
  feed(w, 3, t => [t * 1000, t >= 2 ? 40 : 0])
  assert.deepEqual(w.finish().map(l => l.slice(0, 42)), ['cpu 0: 40 records dropped in the last 1.0 '], 'a burst still under way is told at the end')
  // a module reload: counts from zero again, another geometry (not readable here); its first drops came after the last snapshot (2 s)
  known = false
  const lines = w.take(snapshot(10, [{ cpu: 0, records: 10, dropped: 5 }], { channel_id: 'fedcba9876543210' }))
  assert.deepEqual(lines, [])
  const after = w.take(snapshot(11, [{ cpu: 0, records: 20, dropped: 5 }], { channel_id: 'fedcba9876543210' }))
  assert.deepEqual(after, ['cpu 0: 5 records dropped in the last 9.0 s (the module\'s buffer size is not known: no advice)'])
  assert.equal(w.dropped.get(0), 45)
})
