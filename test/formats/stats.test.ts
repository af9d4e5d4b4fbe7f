import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseStats } from '../../formats/stats.ts'
import { u64ToBigInt } from '../../formats/u64.ts'

const STATS = `cpu online written dropped too_big filtered produced consumed watermark_ns
0 1 200000 0 0 0 12 12 84123456789
1 0 5 3 1 2 1 0 18446744073709551615
`

test('stats: the example of PROTOCOL.md §5; watermark exact as u64 halves', () => {
  const stats = parseStats(STATS)
  assert.equal(stats.cpus.length, 2)
  const c0 = stats.byCpu.get(0)!
  assert.deepEqual({ ...c0, watermark: u64ToBigInt(c0.watermarkHi, c0.watermarkLo) }, {
    cpu: 0,
    online: true,
    written: 200000,
    dropped: 0,
    tooBig: 0,
    filtered: 0,
    produced: 12,
    consumed: 12,
    watermarkHi: c0.watermarkHi,
    watermarkLo: c0.watermarkLo,
    watermark: 84123456789n,
  })
  const c1 = stats.byCpu.get(1)!
  assert.equal(c1.online, false)
  assert.equal(c1.dropped, 3)
  assert.equal(c1.tooBig, 1)
  assert.equal(c1.filtered, 2)
  assert.equal(u64ToBigInt(c1.watermarkHi, c1.watermarkLo), 2n ** 64n - 1n)
})

test('stats: columns are found by name, unknown ones ignored', () => {
  const stats = parseStats('watermark_ns extra consumed produced filtered too_big dropped written online cpu\n7 x 2 3 0 0 0 9 1 5\n')
  const row = stats.byCpu.get(5)!
  assert.equal(row.consumed, 2)
  assert.equal(row.produced, 3)
  assert.equal(row.written, 9)
  assert.equal(row.watermarkLo, 7)
})

test('stats: bad lines are named', () => {
  assert.throws(() => parseStats(''), /stats: empty/)
  assert.throws(() => parseStats('cpu online written dropped too_big filtered produced consumed\n'), /stats line 1: column watermark_ns is missing/)
  assert.throws(() => parseStats(`${STATS}2 1 0 0 0 0 0 0\n`), /stats line 4: 8 values for 9 columns/)
  assert.throws(() => parseStats(`${STATS}2 1 0 0 0 0 x 0 5\n`), /stats line 4: column produced: "x" is not a u64/)
  assert.throws(() => parseStats(`${STATS}2 1 0 0 0 0 0 0 18446744073709551616\n`), /stats line 4: column watermark_ns/)
  assert.throws(() => parseStats(`${STATS}1 1 0 0 0 0 0 0 5\n`), /stats line 4: cpu 1 appears twice/)
})
