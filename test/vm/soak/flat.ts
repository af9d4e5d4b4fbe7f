// What "flat" means for the soak (test/vm/soak/soak.test.ts), and its table (pure; unit
// tested in test/vm/unit/soak-flat.test.ts). The samples taken while the generator runs
// are cut into a warm-up (the first sixth, at least one sample: node, tsx and DuckDB
// loading, the first files published and segments deleted) and three thirds of the rest:
// - RSS: the last third's max <= the first third's max x 1.1 + 8 MiB (the slack is the
//   noise of garbage-collected heaps and DuckDB's buffers). The thirds' middles are about
//   half the run apart, so growth is caught from about (0.1 x RSS + 8 MiB) / (run / 2):
//   for 10 min and an RSS of 200 MiB, about 5 MiB a minute (at 2000 records/s, ~40 bytes
//   a record); a longer soak (KRELAY_SOAK_MINUTES) catches slower leaks;
// - open fds, timers (Timeout of both threads), handles (every active resource): the last
//   third's minimum <= the first third's minimum. They are counts, and a leak raises the
//   count the collector always holds (the minimum of every sample); a publish's DuckDB
//   files or a pending fs request raise single samples (a 2-minute run saw fds at 45 once
//   against 42-43 otherwise), which a comparison of maxima took for growth;
// - spool bytes: every sample after the warm-up <= spoolBound (a few segments: the open
//   one and the closed ones whose records wait for their Parquet file), and the last
//   third's max <= the first third's max + spoolStep (a segment or two: the spool shrinks
//   a whole segment at a time);
// - the records spooled and archived keep rising (the soak really ran at its rate).

export interface SoakSample {
  /** seconds since the generator started */
  t: number
  rssBytes: number
  fds: number
  timers: number
  handles: number
  /** bytes of spool segments (*.krcap) */
  spoolBytes: number
  segments: number
  /** records spooled by capture (status.json, all CPUs) */
  spooled: number
  /** records the archive worker archived (status.json) */
  archived: number
}

export const RSS_FACTOR = 1.1
export const RSS_SLACK = 8 * 1024 * 1024

export interface FlatVerdict {
  problems: string[]
  /** [warm-up, first third, middle third, last third] sample counts */
  parts: number[]
}

const MiB = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`
const max = (xs: number[]): number => xs.reduce((a, b) => Math.max(a, b), -Infinity)
const min = (xs: number[]): number => xs.reduce((a, b) => Math.min(a, b), Infinity)

export function judgeFlat (samples: readonly SoakSample[], spoolBound: number, spoolStep: number): FlatVerdict {
  const warm = Math.max(1, Math.floor(samples.length / 6))
  const rest = samples.slice(warm)
  const third = Math.floor(rest.length / 3)
  if (third < 1) return { problems: [`${samples.length} samples are too few to judge (need ${warm + 3} or more)`], parts: [warm, 0, 0, 0] }
  const first = rest.slice(0, third)
  const last = rest.slice(rest.length - third)
  const problems: string[] = []
  const rssFirst = max(first.map(s => s.rssBytes))
  const rssLast = max(last.map(s => s.rssBytes))
  const rssLimit = rssFirst * RSS_FACTOR + RSS_SLACK
  if (rssLast > rssLimit) problems.push(`RSS grew: last third's max ${MiB(rssLast)} > first third's max ${MiB(rssFirst)} x ${RSS_FACTOR} + ${MiB(RSS_SLACK)} = ${MiB(rssLimit)}`)
  for (const key of ['fds', 'timers', 'handles'] as const) {
    const a = min(first.map(s => s[key]))
    const b = min(last.map(s => s[key]))
    if (b > a) problems.push(`${key} grew: last third's minimum ${b} > first third's minimum ${a}`)
  }
  for (const s of rest) {
    if (s.spoolBytes > spoolBound) problems.push(`spool at ${s.t} s: ${MiB(s.spoolBytes)} in ${s.segments} segments > ${MiB(spoolBound)}`)
  }
  const spoolFirst = max(first.map(s => s.spoolBytes))
  const spoolLast = max(last.map(s => s.spoolBytes))
  if (spoolLast > spoolFirst + spoolStep) problems.push(`spool grew: last third's max ${MiB(spoolLast)} > first third's max ${MiB(spoolFirst)} + ${MiB(spoolStep)}`)
  for (const key of ['spooled', 'archived'] as const) {
    if (!(last[last.length - 1]![key] > first[0]![key])) problems.push(`${key} records did not rise from the first third to the last`)
  }
  return { problems, parts: [warm, first.length, rest.length - 2 * third, last.length] }
}

/** The samples as a fixed-width table, one line per sample; the parts of judgeFlat marked. */
export function soakTable (samples: readonly SoakSample[], parts: number[]): string {
  const head = ['t s', 'RSS MiB', 'fds', 'timers', 'handles', 'spool KiB', 'segments', 'spooled', 'archived', 'part']
  const names = ['warm-up', 'first', 'middle', 'last']
  const bounds = parts.reduce<number[]>((acc, n) => [...acc, (acc.at(-1) ?? 0) + n], [])
  const rows = samples.map((s, i) => {
    const part = bounds.findIndex(b => i < b)
    return [
      s.t.toFixed(0), (s.rssBytes / 1024 / 1024).toFixed(1), String(s.fds), String(s.timers), String(s.handles),
      (s.spoolBytes / 1024).toFixed(0), String(s.segments), String(s.spooled), String(s.archived), part < 0 ? '' : names[part]!,
    ]
  })
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map(r => r[c]!.length)))
  const line = (r: string[]): string => r.map((v, c) => v.padStart(widths[c]!)).join('  ')
  return [line(head), ...rows.map(line)].join('\n')
}
