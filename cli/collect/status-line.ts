// The one line `krelay collect` keeps at the bottom of a terminal (console.ts redraws it
// about once a second): per-CPU rate, drops, merge lag, spool and archive. A pure function
// of the snapshot (status.json's figures, formats/STATUS.md) and the terminal's width: the richest form that fits is used
// (every CPU's rate, then the total and the busiest CPU, then fewer words), and what still
// does not fit is cut, so that the line never wraps.
import type { CollectorStatus } from '../../collector/collect/status-file.ts'
import { count, size } from './drop-hint.ts'

/** 12345 -> "12.3k", 1234567 -> "1.23M": rates in a few columns */
export function short (n: number): string {
  if (n < 1000) return Math.round(n).toString()
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e4 ? 2 : n < 1e5 ? 1 : 0)}k`
  return `${(n / 1e6).toFixed(n < 1e7 ? 2 : n < 1e8 ? 1 : 0)}M`
}

function lagText (ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`
}

/** The status line for the snapshot `cur`, at most `width` columns. */
export function statusLine (cur: CollectorStatus, width: number): string {
  const total = cur.cpus.reduce((a, c) => a + c.records_per_second, 0)
  let busiest: { cpu: number, rate: number } | undefined
  for (const c of cur.cpus) if (busiest === undefined || c.records_per_second > busiest.rate) busiest = { cpu: c.cpu, rate: c.records_per_second }
  const dropped = cur.cpus.reduce((a, c) => a + c.dropped, 0)
  const droppingCpus = cur.cpus.filter(c => c.dropped > 0).map(c => c.cpu)
  const a = cur.archive

  const head = cur.state === 'stopped' ? 'stopped' : cur.channel_id === null ? 'waiting for the module' : undefined
  const perCpu = cur.cpus.map(c => `${c.cpu}:${short(c.records_per_second)}`).join(' ')
  const rate = {
    long: `${short(total)} rec/s [${perCpu}]`,
    medium: `${short(total)} rec/s${busiest === undefined || cur.cpus.length < 2 ? '' : ` (max cpu ${busiest.cpu} ${short(busiest.rate)})`}`,
    short: `${short(total)}/s`,
  }
  const drops = {
    long: dropped === 0 ? 'dropped 0' : `dropped ${count(dropped)} (cpu ${droppingCpus.join(',')})`,
    short: `drop ${short(dropped)}`,
  }
  const lag = typeof cur.merge_lag_ms === 'number' ? { long: `lag ${lagText(cur.merge_lag_ms)}`, short: `lag ${lagText(cur.merge_lag_ms)}` } : undefined
  const spool = { long: `spool ${size(cur.spool_bytes)}`, short: `sp ${size(cur.spool_bytes)}` }
  const archive = a === null
    ? { long: 'archive -', short: 'ar -' }
    : { long: `archive ${size(a.bytes)} in ${count(a.files)} file${a.files === 1 ? '' : 's'}`, short: `ar ${a.files}f` }

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
