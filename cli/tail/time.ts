// The three clocks `krelay tail` shows a time in, all to the nanosecond: UTC (the
// archive's `ts`: the record's monotonic ns plus the channel's mono_to_realtime_ns),
// local time with its UTC offset, and seconds since boot as dmesg prints them. This is the
// client printing one line per record, not a collector hot path, so BigInt is fine here.
import { isoNs } from '../../collector/archive/time.ts'
import { u64ToBigInt } from '../../formats/u64.ts'

/** The channel a record, loss or reload belongs to (the collector's `info` of that module load). */
export interface ChannelInfo { readonly channelId: string, readonly monoToRealtimeNs: bigint }
export type TimeMode = 'utc' | 'local' | 'mono'

const NS_PER_S = 1_000_000_000n

/** UTC ns since the epoch of the monotonic time (hi, lo) on channel `ch`. */
export function utcNs (hi: number, lo: number, ch: ChannelInfo): bigint {
  return u64ToBigInt(hi, lo) + ch.monoToRealtimeNs
}

/** floor(ns / 1e9) and the nanoseconds past it (0..999999999), also for negative ns. */
function splitSeconds (ns: bigint): { sec: bigint, frac: string } {
  let sec = ns / NS_PER_S
  if (sec * NS_PER_S > ns) sec -= 1n
  return { sec, frac: (ns - sec * NS_PER_S).toString().padStart(9, '0') }
}

/** RFC 3339 UTC with exactly 9 fractional digits: `2026-11-30T06:21:07.123456789Z`. */
export function utcText (ns: bigint): string {
  if (ns >= 0n) return isoNs(ns)
  // before 1970 (only with a broken offset), which isoNs refuses as no archive row can be
  const { sec, frac } = splitSeconds(ns)
  return `${new Date(Number(sec) * 1000).toISOString().slice(0, -5)}.${frac}Z`
}

function two (n: number): string {
  return String(n).padStart(2, '0')
}

/** Local time with its UTC offset, 9 fractional digits: `2026-11-30T07:21:07.123456789+01:00`. */
export function localText (ns: bigint): string {
  const { sec, frac } = splitSeconds(ns)
  const ms = Number(sec) * 1000
  // whole minutes, as RFC 3339 offsets are; the fields are computed from the same rounded
  // offset (not with getHours() and friends), so the printed time and offset always add up
  // to the instant, even for historical zones whose offset had seconds
  const offMin = -new Date(ms).getTimezoneOffset()
  const d = new Date(ms + offMin * 60_000)
  const abs = Math.abs(offMin)
  const offset = `${offMin < 0 ? '-' : '+'}${two(Math.floor(abs / 60))}:${two(abs % 60)}`
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}` +
    `T${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${frac}${offset}`
}

/** Seconds since boot like dmesg, but to the nanosecond: `[  123.456789012]`. */
export function monoText (hi: number, lo: number): string {
  const { sec, frac } = splitSeconds(u64ToBigInt(hi, lo))
  return `[${sec.toString().padStart(5)}.${frac}]`
}

/** The monotonic time (hi, lo) of channel `ch` as `mode` shows it. */
export function timeText (hi: number, lo: number, ch: ChannelInfo, mode: TimeMode): string {
  if (mode === 'mono') return monoText(hi, lo)
  const ns = utcNs(hi, lo, ch)
  return mode === 'local' ? localText(ns) : utcText(ns)
}
