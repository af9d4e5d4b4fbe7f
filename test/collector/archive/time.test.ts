import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { u64ToBigInt } from '../../../formats/u64.ts'
import {
  bigIntToHalves, floorDiv, hourOfQ, hourPartition, inRange, isMonoHalves, isoNs, MAX_TS_NS, splitNs, stampNs, toNs, utcQ,
} from '../../../collector/archive/time.ts'

const HOUR = 3_600_000_000_000n

/** floor division for bigint */
function fdiv (a: bigint, b: bigint): bigint {
  const q = a / b
  return a % b !== 0n && (a < 0n) !== (b < 0n) ? q - 1n : q
}

// deterministic pseudo-random u64 values
function * values (): Generator<bigint> {
  let x = 0x243f6a8885a308d3n
  for (let i = 0; i < 2000; i++) {
    x = BigInt.asUintN(64, x * 6364136223846793005n + 1442695040888963407n)
    yield x >> BigInt(i % 40) // spread over magnitudes
  }
  const edges = [0n, 1n, 4095n, 4096n, HOUR - 1n, HOUR, HOUR + 1n, (1n << 53n) - 1n, 1n << 53n, (1n << 53n) + 1n,
    (1n << 62n) + 12345n, MAX_TS_NS - 1n, MAX_TS_NS, (1n << 63n) - 1n]
  yield * edges
}

describe('time', () => {
  it('splitNs gives q = floor(t/4096), r = t mod 4096, exactly, for either sign', () => {
    for (const v of values()) {
      for (const t of [BigInt.asIntN(64, v), -BigInt.asIntN(64, v >> 1n)]) {
        const s = splitNs(t)
        assert.equal(BigInt(s.q), fdiv(t, 4096n), `q of ${t}`)
        assert.equal(BigInt(s.r), t - fdiv(t, 4096n) * 4096n, `r of ${t}`)
        assert.equal(s.ns, t)
      }
    }
    assert.throws(() => splitNs(1n << 63n), RangeError)
  })

  it('utcQ + hourOfQ give the exact hour of mono + offset without BigInt', () => {
    const offsets = [0n, 1n, 4095n, 1764032400123456789n, 1764032399999999999n, -1n, -4097n]
    for (const v of values()) {
      const mono = v & ((1n << 63n) - 1n)
      const { hi, lo } = bigIntToHalves(mono)
      assert.equal(u64ToBigInt(hi, lo), mono)
      assert.equal(isMonoHalves(hi, lo), true)
      for (const off of offsets) {
        const t = mono + off
        const o = splitNs(off)
        if (t < 0n || t > MAX_TS_NS) {
          assert.equal(utcQ(hi, lo, o.q, o.r), -1, `${mono}+${off} is out of range`)
          continue
        }
        const q = utcQ(hi, lo, o.q, o.r)
        const r = Number(t - BigInt(q) * 4096n)
        assert.equal(BigInt(q), fdiv(t, 4096n), `q of ${mono}+${off}`)
        assert.ok(r >= 0 && r < 4096)
        assert.equal(BigInt(hourOfQ(q)), fdiv(t, HOUR), `hour of ${t}`)
        assert.equal(inRange(q, r), true)
      }
    }
  })

  it('isMonoHalves takes u32 halves of a time below 2^63 and nothing else', () => {
    assert.equal(isMonoHalves(0, 0), true)
    assert.equal(isMonoHalves(0x7fffffff, 0xffffffff), true)
    for (const [hi, lo] of [[0x80000000, 0], [-1, 0], [1.5, 0], [0, 2 ** 32], [0, -1], [0, 0.5], [NaN, 0], [0, NaN]] as const) {
      assert.equal(isMonoHalves(hi, lo), false, `${hi}:${lo}`)
    }
  })

  it('inRange stops exactly at 2^63 - 2 (DuckDB TIMESTAMP_NS limit) and 0', () => {
    const at = (t: bigint) => {
      const s = splitNs(t)
      return inRange(s.q, s.r)
    }
    assert.equal(at(MAX_TS_NS), true)
    assert.equal(at(MAX_TS_NS + 1n), false)
    assert.equal(at(0n), true)
    assert.equal(at(-1n), false)
  })

  it('floorDiv is exact near multiples', () => {
    const d = 878_906_250
    for (const k of [0, 1, 2, 1000, 2_562_047, 2_562_048]) {
      const m = k * d
      assert.equal(floorDiv(m, d), k)
      assert.equal(floorDiv(m - 1, d), k - 1)
      assert.equal(floorDiv(m + 1, d), k)
      assert.equal(floorDiv(-m - 1, d), -k - 1)
    }
  })

  it('toNs reads strings, bigints and two halves (two\'s complement)', () => {
    assert.equal(toNs('1764032400123456789'), 1764032400123456789n)
    assert.equal(toNs('-5'), -5n)
    assert.equal(toNs(42n), 42n)
    const h = bigIntToHalves(1764032400123456789n)
    assert.equal(toNs(h), 1764032400123456789n)
    assert.equal(toNs({ hi: 0xffffffff, lo: 0xffffffff }), -1n)
    assert.equal(toNs({ hi: -1, lo: 0xfffffffe }), -2n)
    assert.throws(() => toNs('12abc'), RangeError)
    assert.throws(() => toNs('1e9'), RangeError)
    assert.throws(() => toNs({ hi: 1.5, lo: 0 }), RangeError)
    assert.throws(() => toNs({ hi: 0, lo: 2 ** 32 }), RangeError)
  })

  it('formats stamps and ISO times with all nine digits', () => {
    const t = 1764032400123456789n // 2025-11-25T01:00:00.123456789Z
    assert.equal(isoNs(t), '2025-11-25T01:00:00.123456789Z')
    assert.equal(stampNs(t), '20251125T010000.123456789')
    assert.equal(isoNs(5n), '1970-01-01T00:00:00.000000005Z')
    assert.equal(stampNs(MAX_TS_NS), '22620411T234716.854775806')
    assert.deepEqual(hourPartition(Number(fdiv(t, HOUR))), { date: '2025-11-25', hour: '01' })
    assert.deepEqual(hourPartition(0), { date: '1970-01-01', hour: '00' })
    assert.deepEqual(hourPartition(Number(fdiv(MAX_TS_NS, HOUR))), { date: '2262-04-11', hour: '23' })
  })
})
