import assert from 'node:assert/strict'
import { test } from 'node:test'
import { judgeFlat, soakTable, type SoakSample } from '../soak/flat.ts'

const MiB = 1024 * 1024
const BOUND = 4 * MiB
const STEP = 2 * MiB

/** 60 samples of a collector that is flat (RSS wobbling within a few MiB), `change` applied to sample i. */
function run (change: (s: SoakSample, i: number) => void = () => {}): SoakSample[] {
  return Array.from({ length: 60 }, (_, i) => {
    const s: SoakSample = { t: 10 * (i + 1), rssBytes: (200 + (i % 3)) * MiB, fds: 30 + (i % 2), timers: 3, handles: 12, spoolBytes: (1 + (i % 3)) * MiB, segments: 1 + (i % 3), spooled: 20000 * (i + 1), archived: 20000 * i }
    change(s, i)
    return s
  })
}

test('a flat run passes; the warm-up is not judged', () => {
  const v = judgeFlat(run((s, i) => { if (i < 10) [s.rssBytes, s.fds, s.timers, s.spoolBytes] = [100 * MiB, 50, 9, 9 * MiB] }), BOUND, STEP)
  assert.deepEqual(v.problems, [])
  assert.deepEqual(v.parts, [10, 16, 18, 16])
})

test('RSS that creeps up by 1 MiB a sample fails; a step within 10 % + 8 MiB passes', () => {
  assert.match(judgeFlat(run((s, i) => { s.rssBytes += i * MiB }), BOUND, STEP).problems.join('\n'), /^RSS grew: last third's max .* > first third's max/)
  assert.deepEqual(judgeFlat(run((s, i) => { s.rssBytes += i > 40 ? 25 * MiB : 0 }), BOUND, STEP).problems, [])
})

test('an fd, timer or handle held for good from the middle on fails; one held for a sample does not', () => {
  for (const key of ['fds', 'timers', 'handles'] as const) {
    const v = judgeFlat(run((s, i) => { if (i > 35) s[key] += 1 }), BOUND, STEP)
    assert.deepEqual(v.problems.map(p => p.split(':')[0]), [`${key} grew`])
    assert.deepEqual(judgeFlat(run((s, i) => { if (i === 50) s[key] += 3 }), BOUND, STEP).problems, [])
  }
})

test('a spool over its bound at any sample after the warm-up fails, naming when', () => {
  const v = judgeFlat(run((s, i) => { if (i === 30) s.spoolBytes = 5 * MiB }), BOUND, STEP)
  assert.deepEqual(v.problems, ['spool at 310 s: 5.0 MiB in 1 segments > 4.0 MiB'])
})

test('a spool that grows by more than the step from the first third to the last fails, under its bound too', () => {
  const v = judgeFlat(run((s, i) => { s.spoolBytes = MiB + i * MiB / 10 }), 4 * BOUND, STEP)
  assert.deepEqual(v.problems, ["spool grew: last third's max 6.9 MiB > first third's max 3.5 MiB + 2.0 MiB"])
})

test('a run whose archive stopped moving fails; too few samples are not judged flat', () => {
  assert.deepEqual(judgeFlat(run(s => { s.archived = 7 }), BOUND, STEP).problems, ['archived records did not rise from the first third to the last'])
  assert.match(judgeFlat(run().slice(0, 3), BOUND, STEP).problems[0]!, /^3 samples are too few/)
})

test('the table: a header and one line per sample, with its part', () => {
  const samples = run().slice(0, 8)
  const lines = soakTable(samples, judgeFlat(samples, BOUND, STEP).parts).split('\n')
  assert.equal(lines.length, 9)
  assert.match(lines[0]!, /^t s +RSS MiB +fds +timers +handles +spool KiB +segments +spooled +archived +part$/)
  assert.match(lines[1]!, /^ +10 +200\.0 +30 +3 +12 +1024 +1 +20000 +0 +warm-up$/)
  assert.match(lines[8]!, / last$/)
})
