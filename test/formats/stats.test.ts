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

test('stats: every value exact at the edges, and a header that changes between reads is read again', () => {
  const max = 2n ** 53n - 1n
  const row = (s: ReturnType<typeof parseStats>, cpu: number) => s.byCpu.get(cpu)!
  const a = parseStats(`${STATS}7 1 ${max} 0 0 0 0009 0 4294967296\n`)
  assert.equal(row(a, 7).written, Number(max))
  assert.equal(row(a, 7).produced, 9)
  assert.deepEqual([row(a, 7).watermarkHi, row(a, 7).watermarkLo], [1, 0])
  assert.throws(() => parseStats(`${STATS}7 1 ${max + 1n} 0 0 0 0 0 5\n`), /stats line 4: column written: 9007199254740992 is 2\^53 or more/)
  assert.throws(() => parseStats(`${STATS}7 1 0  0 0 0 0 5\n`), /stats line 4: column dropped: "" is not a u64/)
  assert.throws(() => parseStats(`${STATS}7 1 0 0 0 0 0 0 -5\n`), /stats line 4: column watermark_ns: "-5" is not a u64/)
  // the same columns in another order: read by name again, not by the positions of the last header
  const b = parseStats('consumed produced cpu online written dropped too_big filtered watermark_ns\n\n4 5 3 1 0 0 0 0 6\n')
  assert.deepEqual([row(b, 3).consumed, row(b, 3).produced, row(b, 3).watermarkLo], [4, 5, 6])
  // blank lines are skipped and not counted
  assert.throws(() => parseStats('cpu online written dropped too_big filtered produced consumed watermark_ns\n\n0 1 0 0 0 0 0 0 x\n'), /stats line 2: column watermark_ns/)
})

test('stats: random files read as the BigInt reference reads them', () => {
  const columns = ['cpu', 'online', 'written', 'dropped', 'too_big', 'filtered', 'produced', 'consumed', 'watermark_ns', 'extra']
  let seed = 12345
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n }
  const u64 = (bits: number): bigint => {
    let v = 0n
    for (let i = 0; i < bits; i += 15) v = (v << 15n) | BigInt(rand(32768))
    return v & ((1n << BigInt(bits)) - 1n)
  }
  for (let round = 0; round < 300; round++) {
    const order = [...columns].sort(() => rand(3) - 1)
    const rows: Array<Record<string, bigint>> = []
    for (let cpu = 0; cpu < 1 + rand(8); cpu++) {
      const r: Record<string, bigint> = {}
      for (const c of order) r[c] = c === 'cpu' ? BigInt(cpu) : c === 'watermark_ns' ? u64(1 + rand(64)) : u64(1 + rand(53))
      rows.push(r)
    }
    const text = `${order.join(' ')}\n${rows.map(r => order.map(c => String(r[c])).join(' ')).join('\n')}\n`
    const got = parseStats(text)
    assert.equal(got.cpus.length, rows.length)
    for (const r of rows) {
      const g = got.byCpu.get(Number(r.cpu))!
      assert.deepEqual([g.written, g.dropped, g.tooBig, g.filtered, g.produced, g.consumed],
        [r.written, r.dropped, r.too_big, r.filtered, r.produced, r.consumed].map(Number), text)
      assert.equal(g.online, r.online !== 0n, text)
      assert.equal(u64ToBigInt(g.watermarkHi, g.watermarkLo), r.watermark_ns, text)
    }
  }
})
