// cli/tail/time.ts: the three clocks to the nanosecond, exact for any u64 monotonic time
// and any signed 64-bit offset.
import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { localText, monoText, timeText, utcNs, utcText } from '../../../cli/tail/time.ts'
import { u64FromBigInt } from '../../../formats/u64.ts'

const tz = process.env.TZ
afterEach(() => {
  if (tz === undefined) delete process.env.TZ
  else process.env.TZ = tz
})

const ms = (iso: string) => BigInt(Date.parse(iso)) * 1_000_000n

describe('time', () => {
  it('utcNs adds the channel offset to the exact monotonic time', () => {
    const mono = (1n << 63n) + 12_345n
    const { hi, lo } = u64FromBigInt(mono)
    assert.equal(utcNs(hi, lo, { channelId: 'c', monoToRealtimeNs: -(1n << 62n) }), mono - (1n << 62n))
  })

  it('utcText: RFC 3339, 9 digits, on both sides of 1970', () => {
    assert.equal(utcText(0n), '1970-01-01T00:00:00.000000000Z')
    assert.equal(utcText(-1n), '1969-12-31T23:59:59.999999999Z')
    assert.equal(utcText(-1_000_000_000n), '1969-12-31T23:59:59.000000000Z')
    assert.equal(utcText(-1_000_000_001n), '1969-12-31T23:59:58.999999999Z')
    assert.equal(utcText(ms('2026-11-30T06:59:59.999Z') + 999_999n), '2026-11-30T06:59:59.999999999Z')
  })

  it('localText: the zone\'s offset at that instant, half-hour zones and DST included', () => {
    process.env.TZ = 'Australia/Adelaide' // +10:30 in (southern) summer, +09:30 in winter
    assert.equal(localText(ms('2026-01-15T00:00:00Z') + 1n), '2026-01-15T10:30:00.000000001+10:30')
    assert.equal(localText(ms('2026-07-15T00:00:00Z')), '2026-07-15T09:30:00.000000000+09:30')
    process.env.TZ = 'America/St_Johns'
    assert.equal(localText(ms('2026-12-01T03:29:59Z') + 999_999_999n), '2026-11-30T23:59:59.999999999-03:30')
    process.env.TZ = 'UTC'
    assert.equal(localText(-1n), '1969-12-31T23:59:59.999999999+00:00')
  })

  it('monoText: dmesg\'s seconds since boot, 9 digits, padded to 5', () => {
    assert.equal(monoText(0, 1), '[    0.000000001]')
    assert.equal(monoText(0, 999_999_999), '[    0.999999999]')
    const big = u64FromBigInt(99_999_999_999_999n)
    assert.equal(monoText(big.hi, big.lo), '[99999.999999999]')
  })

  it('timeText picks the clock', () => {
    const ch = { channelId: 'c', monoToRealtimeNs: ms('2026-11-30T06:00:00Z') }
    process.env.TZ = 'Asia/Tokyo'
    assert.equal(timeText(0, 5, ch, 'utc'), '2026-11-30T06:00:00.000000005Z')
    assert.equal(timeText(0, 5, ch, 'local'), '2026-11-30T15:00:00.000000005+09:00')
    assert.equal(timeText(0, 5, ch, 'mono'), '[    0.000000005]')
  })
})
