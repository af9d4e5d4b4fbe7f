// --since TIME: an absolute ISO 8601 time with its zone (`2026-11-30T06:00:00Z`,
// `2026-11-30T07:00:00.5+01:00`, fractions to the nanosecond), a UTC date (`2026-11-30`,
// its midnight) or a time relative to now, journalctl-style: `-30s`, `-5min`, `-2h`.
// A time of day without a zone is refused: it would be read in some zone silently. The result is UTC ns since the epoch, the
// archive's `ts`.
import { optionValue } from '../options.ts'

const ISO = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d(?::\d\d)?)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/
const DATE = /^\d{4}-\d\d-\d\d$/
const RELATIVE = /^-(\d+)(s|min|h)$/
const NS_PER_UNIT: Readonly<Record<string, bigint>> = { s: 1_000_000_000n, min: 60_000_000_000n, h: 3_600_000_000_000n }

/** UTC ns since the epoch, or undefined if `s` is not one of the forms above. */
export function parseSince (s: string, nowMs: number = Date.now()): bigint | undefined {
  const rel = RELATIVE.exec(s)
  if (rel !== null) return BigInt(nowMs) * 1_000_000n - BigInt(rel[1]!) * NS_PER_UNIT[rel[2]!]!
  if (DATE.test(s)) {
    const ms = Date.parse(`${s}T00:00:00Z`)
    return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== s ? undefined : BigInt(ms) * 1_000_000n
  }
  const m = ISO.exec(s)
  if (m === null) return undefined
  const ms = Date.parse(`${m[1]!}T${m[2]!}${m[4]!}`)
  if (Number.isNaN(ms)) return undefined
  return BigInt(ms) * 1_000_000n + BigInt((m[3] ?? '').padEnd(9, '0'))
}

export const TIME_FORMS = 'an ISO 8601 time with its zone (2026-11-30T06:00:00Z), a UTC date (2026-11-30) or -Ns, -Nmin, -Nh'

export const sinceOption = optionValue('--since', TIME_FORMS, s => parseSince(s))
