// The one line `krelay collect` keeps at the bottom of a terminal (console.ts redraws it
// about once a second): per-CPU rate, drops, merge lag, spool and archive. A pure function
// of the last two snapshots and the terminal's width: the richest form that fits is used
// (every CPU's rate, then the total and the busiest CPU, then fewer words), and what still
// does not fit is cut, so that the line never wraps.
import { cpuRates, type StatusView } from './status-view.ts'
import { count, size } from './drop-hint.ts'

/** 12345 -> "12.3k", 1234567 -> "1.23M": rates in a few columns */
export function short (n: number): string {
  if (n < 1000) return Math.round(n).toString()
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e4 ? 2 : n < 1e5 ? 1 : 0)}k`
  return `${(n / 1e6).toFixed(n < 1e7 ? 2 : n < 1e8 ? 1 : 0)}M`
}

const rateText = (r: number | undefined): string => r === undefined ? '-' : short(r)

function lagText (ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`
}

/** The status line for `cur` (and `prev`, the snapshot before it, for rates), at most `width` columns. */
export function statusLine (prev: StatusView | undefined, cur: StatusView, width: number): string {
  const rates = cpuRates(prev, cur)
  const known = [...rates.values()].filter((r): r is number => r !== undefined)
  const total = known.length === 0 ? undefined : known.reduce((a, b) => a + b, 0)
  let busiest: { cpu: number, rate: number } | undefined
  for (const [cpu, r] of rates) if (r !== undefined && (busiest === undefined || r > busiest.rate)) busiest = { cpu, rate: r }
  const dropped = cur.cpus.reduce((a, c) => a + c.dropped, 0)
  const droppingCpus = cur.cpus.filter(c => c.dropped > 0).map(c => c.cpu)
  const a = cur.archive

  const head = cur.state === 'stopped' ? 'stopped' : cur.channel_id === null ? 'waiting for the module' : undefined
  const perCpu = [...rates].map(([cpu, r]) => `${cpu}:${rateText(r)}`).join(' ')
  const rate = {
    long: `${rateText(total)} rec/s [${perCpu}]`,
    medium: `${rateText(total)} rec/s${busiest === undefined || rates.size < 2 ? '' : ` (max cpu ${busiest.cpu} ${short(busiest.rate)})`}`,
    short: `${rateText(total)}/s`,
  }
  const drops = {
    long: dropped === 0 ? 'dropped 0' : `dropped ${count(dropped)} (cpu ${droppingCpus.join(',')})`,
    short: `drop ${short(dropped)}`,
  }
  const lag = typeof cur.merge_lag_ms === 'number' ? { long: `lag ${lagText(cur.merge_lag_ms)}`, short: `lag ${lagText(cur.merge_lag_ms)}` } : undefined
  const spool = { long: `spool ${size(cur.spool_bytes)}`, short: `sp ${size(cur.spool_bytes)}` }
  const archiveBytes = typeof a?.bytes === 'number' ? `${size(a.bytes)} in ` : ''
  const archive = a === null
    ? { long: 'archive -', short: 'ar -' }
    : { long: `archive ${archiveBytes}${count(a.files)} file${a.files === 1 ? '' : 's'}`, short: `ar ${a.files}f` }

  const parts = (r: string, level: 'long' | 'short'): string[] =>
    [head ?? r, drops[level], lag?.[level], spool[level], archive[level]].filter((p): p is string => p !== undefined)
  const candidates = [
    parts(rate.long, 'long').join(' | '),
    parts(rate.medium, 'long').join(' | '),
    parts(rate.short, 'long').join(' | '),
    parts(rate.short, 'short').join(' | '),
    parts(rate.short, 'short').join(' '),
  ]
  const fits = candidates.find(c => c.length <= width)
  return fits ?? cut(candidates.at(-1)!, width)
}

/** The first `width` columns of `s`, the last one an ellipsis when something was cut. */
function cut (s: string, width: number): string {
  if (width <= 0) return ''
  return s.length <= width ? s : `${s.slice(0, width - 1)}…`
}
