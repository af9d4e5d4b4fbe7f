// The time buckets of the report's charts: a round width (1 ms ... 1 s, 10 s, 1 min, 1 h,
// 1 day, ...) chosen so that the range fills at most MAX_BUCKETS of them (at least about
// 240 when the range allows: each width is at most 2.5x the one before), aligned to
// multiples of the width since the epoch so that bucket edges are round UTC times.

export const MAX_BUCKETS = 600

const MS = 1_000_000n
const S = 1000n * MS
const MIN = 60n * S
const H = 60n * MIN
const D = 24n * H

/** Candidate widths in ns, ascending. */
export const BUCKET_WIDTHS: readonly bigint[] = [
  1n * MS, 2n * MS, 5n * MS, 10n * MS, 20n * MS, 50n * MS, 100n * MS, 200n * MS, 500n * MS,
  1n * S, 2n * S, 5n * S, 10n * S, 15n * S, 30n * S,
  1n * MIN, 2n * MIN, 5n * MIN, 10n * MIN, 15n * MIN, 30n * MIN,
  1n * H, 2n * H, 3n * H, 6n * H, 12n * H,
  1n * D, 2n * D, 7n * D, 14n * D, 28n * D, 91n * D, 182n * D, 364n * D,
]

export interface Buckets {
  /** width of one bucket, ns */
  widthNs: bigint
  /** index of the first bucket since the epoch: it starts at firstIndex * widthNs */
  firstIndex: bigint
  count: number
}

/** floor division for bigints (the range may start before 1970) */
function floorDiv (a: bigint, b: bigint): bigint {
  const q = a / b
  return a % b !== 0n && (a < 0n) !== (b < 0n) ? q - 1n : q
}

/** The buckets for times `fromNs` .. `toNs` (UTC ns, both included). */
export function chooseBuckets (fromNs: bigint, toNs: bigint): Buckets {
  if (toNs < fromNs) throw new RangeError(`bucket range ends (${toNs}) before it starts (${fromNs})`)
  for (const widthNs of BUCKET_WIDTHS) {
    const firstIndex = floorDiv(fromNs, widthNs)
    const count = floorDiv(toNs, widthNs) - firstIndex + 1n
    if (count <= BigInt(MAX_BUCKETS)) return { widthNs, firstIndex, count: Number(count) }
  }
  // more than ~600 years: widths grow by whole years
  const widthNs = (toNs - fromNs) / BigInt(MAX_BUCKETS - 1) + 1n
  const firstIndex = floorDiv(fromNs, widthNs)
  return { widthNs, firstIndex, count: Number(floorDiv(toNs, widthNs) - firstIndex + 1n) }
}

/** "1 ms", "10 s", "15 min", "2 h", "7 d" */
export function widthLabel (widthNs: bigint): string {
  for (const [unit, ns] of [['d', D], ['h', H], ['min', MIN], ['s', S], ['ms', MS]] as const) {
    if (widthNs >= ns && widthNs % ns === 0n) return `${widthNs / ns} ${unit}`
  }
  return `${Number(widthNs) / 1e6} ms`
}
