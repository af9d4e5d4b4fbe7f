// u64 values as two u32 halves (hi, lo). Timestamps are CLOCK_MONOTONIC ns and pass
// 2^53 after 104 days of uptime, so they are kept exact this way; ordering must use
// compareU64 or isBelowU64, never a number made of both halves.

export const TWO_POW_32 = 4294967296
/** Largest hi half of a u64 below 2^53 (2^53 / 2^32 = 2^21). */
export const SAFE_HI_LIMIT = 0x200000

/** -1, 0 or 1 as (aHi, aLo) is below, equal to or above (bHi, bLo). */
export function compareU64 (aHi: number, aLo: number, bHi: number, bLo: number): number {
  if (aHi !== bHi) return aHi < bHi ? -1 : 1
  if (aLo !== bLo) return aLo < bLo ? -1 : 1
  return 0
}

export function isBelowU64 (aHi: number, aLo: number, bHi: number, bLo: number): boolean {
  return aHi < bHi || (aHi === bHi && aLo < bLo)
}

/** Exact number if below 2^53, else -1. */
export function u64ToSafeNumber (hi: number, lo: number): number {
  return hi < SAFE_HI_LIMIT ? hi * TWO_POW_32 + lo : -1
}

/** Reads a little-endian u64 as an exact number, or -1 when it is 2^53 or more. */
export function readU64Safe (view: DataView, off: number): number {
  const hi = view.getUint32(off + 4, true)
  return hi < SAFE_HI_LIMIT ? hi * TWO_POW_32 + view.getUint32(off, true) : -1
}

/** Writes a non-negative integer below 2^53 as a little-endian u64. */
export function writeU64Number (view: DataView, off: number, value: number): void {
  const lo = value >>> 0
  view.setUint32(off, lo, true)
  view.setUint32(off + 4, (value - lo) / TWO_POW_32, true)
}

export function writeU64Halves (view: DataView, off: number, hi: number, lo: number): void {
  view.setUint32(off, lo, true)
  view.setUint32(off + 4, hi, true)
}

/** Not for hot paths: allocates a BigInt. */
export function u64ToBigInt (hi: number, lo: number): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo)
}

/** Not for hot paths. */
export function u64ToDecimal (hi: number, lo: number): string {
  return u64ToBigInt(hi, lo).toString()
}

export interface U64 { hi: number, lo: number }

/** Not for hot paths: allocates. */
export function u64FromBigInt (value: bigint): U64 {
  if (value < 0n || value >= 1n << 64n) throw new RangeError(`${value} is not a u64`)
  return { hi: Number(value >> 32n), lo: Number(value & 0xffffffffn) }
}

/** Adds a non-negative number of at most 2^53 to (hi, lo) in place. */
export function addToU64 (into: U64, delta: number): void {
  const lo = into.lo + (delta % TWO_POW_32)
  into.hi = (into.hi + Math.floor(delta / TWO_POW_32) + (lo >= TWO_POW_32 ? 1 : 0)) >>> 0
  into.lo = lo >= TWO_POW_32 ? lo - TWO_POW_32 : lo
}
