// The drop hint over known inputs: no drops, a tiny burst, a burst that needs larger
// sub-buffers, one no buffer the module allows holds, and drops that never stop.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { advice, count, CPU_BUFFER_MAX, dropAdvice, HEADROOM, hintLine, N_SUBBUFS_MAX, summaryHint, SUBBUF_SIZE_MAX, worse, type DropBurst } from '../../../cli/collect/drop-hint.ts'
import { SUBBUF_HDR_SIZE } from '../../../formats/wire.ts'

const g = { subbufSize: 262144, nSubbufs: 8 }
const burst = (b: Partial<DropBurst>): DropBurst => ({ cpu: 0, dropped: 0, seconds: 2, records: 40_000, recordBytes: 128, sustained: false, ...b })
const payload = (size: number): number => size - SUBBUF_HDR_SIZE

test('no drops: no hint, no summary line', () => {
  assert.equal(dropAdvice(burst({ dropped: 0 }), g), undefined)
  assert.equal(summaryHint(new Map([[0, 0], [1, 0]]), undefined), undefined)
})

test('a tiny burst: a few more sub-buffers of the same size', () => {
  // 8 x (262144 - 80) bytes held, 100 x 128 more needed: 2109312 bytes, x 1.25 = 2636640 bytes =
  // 10.07 sub-buffers of 262064 - 128 bytes of whole records: 11, and one for the part-filled
  // one the timer may close
  const a = dropAdvice(burst({ dropped: 100 }), g)
  assert.deepEqual(a, { kind: 'buffer', cpu: 0, dropped: 100, needBytes: 8 * payload(262144) + 100 * 128, subbufSize: 262144, nSubbufs: 12 })
  const line = hintLine(a!, burst({ dropped: 100 }), g, { dropped: 100, seconds: 3 })
  assert.match(line, /^cpu 0: 100 records dropped in the last 3\.0 s \(it wrote 2\.4 MiB\/s: its buffer, 8 x 256 KiB, holds 817 ms of that\); the largest burst needed 2\.0 MiB per CPU, a quarter more to spare: /)
  assert.ok(line.endsWith('modprobe krelay n_subbufs=12 subbuf_size=262144 (12 x 256 KiB = 3 MiB per CPU; or "options krelay n_subbufs=12 subbuf_size=262144" in /etc/modprobe.d/krelay.conf)'), line)
})

test('the advice is the smallest buffer that holds the burst: whole sub-buffers, larger powers of two past 1024 of them', () => {
  for (const dropped of [1, 1000, 123_456, 1_000_000, 10_000_000, 20_000_000]) {
    const a = dropAdvice(burst({ dropped }), g)
    assert.equal(a?.kind, 'buffer', String(dropped))
    if (a?.kind !== 'buffer') continue
    const need = 8 * payload(262144) + dropped * 128
    assert.equal(a.needBytes, need)
    // whole records of 128 bytes in each, a quarter more than needed, and one sub-buffer to spare
    const usable = payload(a.subbufSize) - 128
    assert.ok((a.nSubbufs - 1) * usable >= need * HEADROOM, `${dropped}: ${a.nSubbufs} x ${a.subbufSize} holds it, with room to spare`)
    assert.ok(a.nSubbufs === 2 || (a.nSubbufs - 2) * usable < need * HEADROOM, `${dropped}: one sub-buffer fewer would not`)
    assert.ok(a.nSubbufs <= N_SUBBUFS_MAX && a.subbufSize <= SUBBUF_SIZE_MAX && a.nSubbufs * a.subbufSize <= CPU_BUFFER_MAX)
    assert.equal(a.subbufSize & (a.subbufSize - 1), 0, 'a power of two')
    // a smaller sub-buffer size (down to the current one) would need more than the module allows
    if (a.subbufSize > g.subbufSize) assert.ok(Math.ceil(need * HEADROOM / (payload(a.subbufSize / 2) - 128)) + 1 > N_SUBBUFS_MAX)
  }
  // 10M records of 128 bytes (and a quarter more): 1530 sub-buffers of 1 MiB are too many, 766 of 2 MiB fit
  const big = dropAdvice(burst({ dropped: 10_000_000 }), g)
  assert.deepEqual(big && { n: (big as { nSubbufs: number }).nSubbufs, size: (big as { subbufSize: number }).subbufSize }, { n: 766, size: 2097152 })
})

test('no record size seen yet: a dropped record counts as a whole sub-buffer (an upper bound)', () => {
  const a = dropAdvice(burst({ dropped: 4, records: 0, recordBytes: 0 }), g)
  assert.deepEqual(a, { kind: 'buffer', cpu: 0, dropped: 4, needBytes: 12 * payload(262144), subbufSize: 262144, nSubbufs: 16 })
})

test('a burst no buffer the module allows holds: said so, with the size it would take', () => {
  const a = dropAdvice(burst({ cpu: 3, dropped: 40_000_000 }), g)
  assert.deepEqual(a, { kind: 'too-big', cpu: 3, dropped: 40_000_000, needBytes: 8 * payload(262144) + 40_000_000 * 128 })
  const line = hintLine(a!, burst({ cpu: 3, dropped: 40_000_000 }), g, { dropped: 40_000_000, seconds: 5 })
  assert.match(line, /^cpu 3: 40,000,000 records dropped in the last 5\.0 s: holding them would take 4\.8 GiB per CPU, beyond what the module allows \(1024 x 4 MiB, at most 4\.0 GiB\)/)
  assert.doesNotMatch(line, /modprobe/)
})

test('drops in every interval: the collector is too slow, a bigger buffer only delays them', () => {
  const b = burst({ cpu: 2, dropped: 150_000, records: 50_000, seconds: 10, sustained: true })
  const a = dropAdvice(b, g)
  assert.deepEqual(a, { kind: 'too-slow', cpu: 2, dropped: 150_000, takenPerSecond: 5000, writtenPerSecond: 20_000 })
  const line = hintLine(a!, b, g, { dropped: 150_000, seconds: 10 })
  assert.match(line, /^cpu 2: 150,000 records dropped in the last 10\.0 s, in every second for 10 s: the collector took 5,000 records\/s of this CPU while it wrote 20,000\/s; a bigger buffer than 8 x 256 KiB would only delay the drops/)
  assert.doesNotMatch(line, /modprobe/)
})

test('the summary: drops per CPU, and the change that holds the largest burst (too slow wins over any buffer)', () => {
  const small = dropAdvice(burst({ dropped: 100 }), g)!
  const large = dropAdvice(burst({ cpu: 1, dropped: 1_000_000 }), g)!
  const worst = worse(worse(undefined, small), large)
  assert.equal(worst, large)
  assert.equal(worse(large, small), large)
  const line = summaryHint(new Map([[1, 1_000_000], [0, 100], [2, 0]]), worst)
  assert.equal(line, `krelay collect: 1,000,100 records dropped by the kernel (cpu 0: 100, cpu 1: 1,000,000); consider ${advice(large as { nSubbufs: number, subbufSize: number })}`)
  const slow = dropAdvice(burst({ cpu: 2, dropped: 10, seconds: 10, sustained: true }), g)!
  assert.equal(worse(large, slow), slow)
  assert.match(summaryHint(new Map([[2, 10]]), worse(large, slow))!, /the collector was too slow for cpu 2 .*: a bigger buffer would not help$/)
  assert.equal(summaryHint(new Map([[0, 7]]), undefined), 'krelay collect: 7 records dropped by the kernel (cpu 0: 7)')
})

test('counts are grouped by thousands as en-US writes them, without ICU (its first call stalls capture)', () => {
  const cases = [0, 7, 999, 1000, 65_536, 999_999.5, 1_234_567, 12_345_678_901, -1234, -0.4, 0.5]
  for (const n of cases) assert.equal(count(n), Math.round(n).toLocaleString('en-US').replace(/^-0$/, '0'), `count(${n})`)
})
