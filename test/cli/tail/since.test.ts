import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseSince, sinceOption } from '../../../cli/tail/since.ts'

test('--since: ISO 8601 with a zone to the nanosecond, a UTC date, or -Ns, -Nmin, -Nh before now', () => {
  const at = (iso: string): bigint => BigInt(Date.parse(iso)) * 1_000_000n
  assert.equal(parseSince('2026-11-30T06:00:00Z'), at('2026-11-30T06:00:00Z'))
  assert.equal(parseSince('2026-11-30T06:00:00.123456789Z'), at('2026-11-30T06:00:00Z') + 123_456_789n)
  assert.equal(parseSince('2026-11-30T07:00:00.5+01:00'), at('2026-11-30T06:00:00Z') + 500_000_000n)
  assert.equal(parseSince('2026-11-30 06:00Z'), at('2026-11-30T06:00:00Z'))
  assert.equal(parseSince('2026-11-30'), at('2026-11-30T00:00:00Z'))
  const now = Date.parse('2026-11-30T06:00:00Z')
  assert.equal(parseSince('-30s', now), at('2026-11-30T05:59:30Z'))
  assert.equal(parseSince('-5min', now), at('2026-11-30T05:55:00Z'))
  assert.equal(parseSince('-2h', now), at('2026-11-30T04:00:00Z'))
  for (const bad of ['2026-11-30T06:00:00', '2026-11-31', '2026-13-30', 'yesterday', '-5m', '5min', '2026-13-30T06:00:00Z', '']) {
    assert.equal(parseSince(bad), undefined, bad)
  }
  assert.match(sinceOption.safeParse('today').error!.issues[0]!.message, /^--since must be an ISO 8601 time with its zone/)
})
