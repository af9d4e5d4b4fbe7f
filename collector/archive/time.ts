// Exact 64-bit nanosecond arithmetic on numbers, for the append hot path.
//
// A nanosecond time t (signed 64-bit) is handled as two numbers:
//   q = floor(t / 4096)   exact in a double, |q| < 2^51
//   r = t - q * 4096      0 <= r < 4096
// 4096 divides an hour (3.6e12 ns = 4096 * 878906250), so hour boundaries fall on
// whole q values and the hour of t is floor(q / 878906250): no BigInt, no rounding.
// BigInt appears only in functions that run once per channel or per file.
//
// UTC = mono + the channel's mono->realtime offset is computed here once for the append
// hot path (utcQ); sql.ts has its one SQL form (utcNs), for the files.

import { u64ToBigInt } from '../../formats/u64.ts'

export const Q_UNIT = 4096
/** ns per hour / Q_UNIT */
export const Q_PER_HOUR = 878_906_250
const TWO_20 = 1048576

/**
 * Largest t the archive accepts: the largest DuckDB TIMESTAMP_NS (2^63 - 2; 2^63 - 1 is
 * `infinity`), so that every exact time `epoch_us(ts) * 1000 + ts_nanos` is also a
 * TIMESTAMP_NS for a reader that wants one (and format version 1 held the same range).
 */
export const MAX_TS_NS = (1n << 63n) - 2n
/** q and r of MAX_TS_NS */
export const MAX_Q = 2 ** 51 - 1
export const MAX_R_AT_MAX_Q = 4094

/** A signed 64-bit nanosecond offset, split once for the hot path. */
export interface SplitNs {
  readonly q: number;
  readonly r: number;
  /** the same value, exact, for SQL literals */
  readonly ns: bigint;
}

/** Parses an offset given as a decimal string, a bigint, or two u32 halves (two's complement). */
export function toNs (v: string | bigint | { readonly hi: number; readonly lo: number }): bigint {
  if (typeof v === 'bigint') return v
  if (typeof v === 'string') {
    if (!/^-?[0-9]{1,20}$/.test(v)) throw new RangeError(`not a decimal nanosecond value: ${JSON.stringify(v)}`)
    return BigInt(v)
  }
  if (!isU32(v.hi) && !(Number.isInteger(v.hi) && v.hi < 0 && v.hi >= -0x80000000)) {
    throw new RangeError(`hi half ${v.hi} is not a 32-bit integer`)
  }
  if (!isU32(v.lo)) throw new RangeError(`lo half ${v.lo} is not a u32`)
  return BigInt.asIntN(64, u64ToBigInt(v.hi >>> 0, v.lo))
}

export function splitNs (ns: bigint): SplitNs {
  if (ns < -(1n << 63n) || ns >= 1n << 63n) throw new RangeError(`${ns} does not fit in a signed 64-bit value`)
  const q = ns >= 0n ? ns / 4096n : -((-ns + 4095n) / 4096n)
  return { q: Number(q), r: Number(ns - q * 4096n), ns }
}

function isU32 (x: number): boolean {
  return x >>> 0 === x
}

/** floor(a / b) for integers a, b > 0 with |a| < 2^53, exact. */
export function floorDiv (a: number, b: number): number {
  let d = Math.floor(a / b)
  const m = a - d * b
  if (m < 0) d -= 1
  else if (m >= b) d += 1
  return d
}

/** Hour index (hours since the epoch) of the time with the given q. */
export function hourOfQ (q: number): number {
  return floorDiv(q, Q_PER_HOUR)
}

export function bigIntToHalves (v: bigint): { hi: number; lo: number } {
  const u = BigInt.asUintN(64, v)
  return { hi: Number(u >> 32n), lo: Number(u & 0xffffffffn) }
}

/** True when hi:lo are the u32 halves of a monotonic time the archive can store (< 2^63). */
export function isMonoHalves (hi: number, lo: number): boolean {
  return hi >= 0 && hi <= 0x7fffffff && (hi | 0) === hi && lo >>> 0 === lo
}

/**
 * q of UTC = mono + offset, for mono as u32 halves hi:lo (isMonoHalves) and the offset
 * split (offQ, offR of splitNs); -1 when UTC is not a time the archive can store
 * (inRange). The append hot path: numbers only, nothing allocated. (-1, not NaN: with
 * NaN the records writer's append loop allocated again, bench/archive.ts counts GCs.)
 */
export function utcQ (hi: number, lo: number, offQ: number, offR: number): number {
  let r = (lo & 4095) + offR
  let q = hi * TWO_20 + (lo >>> 12) + offQ
  if (r >= Q_UNIT) {
    r -= Q_UNIT
    q += 1
  }
  return inRange(q, r) ? q : -1
}

/** r (0..4095) of mono + offset, the companion of utcQ's q: q:r orders times exactly. */
export function utcR (lo: number, offR: number): number {
  return ((lo & 4095) + offR) & 4095
}

/** True when q:r is a time the archive can store (0 <= t <= MAX_TS_NS). */
export function inRange (q: number, r: number): boolean {
  return q >= 0 && (q < MAX_Q || (q === MAX_Q && r <= MAX_R_AT_MAX_Q))
}

/** `YYYY-MM-DD` and `HH` of an hour index. */
export function hourPartition (hour: number): { date: string; hour: string } {
  const iso = new Date(hour * 3_600_000).toISOString()
  return { date: iso.slice(0, 10), hour: iso.slice(11, 13) }
}

function splitIso (ns: bigint): { iso: string; frac: string } {
  if (ns < 0n) throw new RangeError(`negative time ${ns}`)
  const iso = new Date(Number(ns / 1_000_000n)).toISOString() // YYYY-MM-DDTHH:MM:SS.mmmZ
  return { iso, frac: (ns % 1_000_000_000n).toString().padStart(9, '0') }
}

/** `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` of UTC ns since the epoch (once per file, BigInt is fine). */
export function isoNs (ns: bigint): string {
  const { iso, frac } = splitIso(ns)
  return `${iso.slice(0, 19)}.${frac}Z`
}

/** `YYYYMMDDTHHMMSS.nnnnnnnnn`: the sortable stamp file names start with. */
export function stampNs (ns: bigint): string {
  const { iso, frac } = splitIso(ns)
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}.${frac}`
}
