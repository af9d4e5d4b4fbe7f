// krelay inspect's report for people: a few summary lines, then tables (the boxes of
// krelay query) of records per host, CPU, level and type and of losses per reason.
import type { Inspection } from '../../offline/inspect.ts'
import { allRows, renderTable, type TableColumn } from '../query/table.ts'

/** UTC ns (decimal) as RFC 3339 with 9 fractional digits. */
export function isoNs (ns: string): string {
  const n = BigInt(ns)
  const s = n / 1_000_000_000n
  const frac = n % 1_000_000_000n
  return `${new Date(Number(s) * 1000).toISOString().slice(0, 19)}.${String(frac).padStart(9, '0')}Z`
}

export function bytesText (n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let v = n / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++ }
  return `${v.toFixed(1)} ${units[i]!}`
}

const int = (n: number): string => n.toLocaleString('en-US')
const pct = (n: number, of: number): string => of === 0 ? '' : `${(100 * n / of).toFixed(1)}%`

function table (headers: [string, boolean][], rows: string[][], width: number): string[] {
  const cols: TableColumn[] = headers.map(([name, numeric]) => ({ name, type: '', numeric }))
  // no type row and no footer: these are summaries
  return renderTable(cols, allRows(rows), width).filter((l, i, all) => i !== 2 && i !== all.length - 1)
}

export function inspectionText (r: Inspection, dirs: readonly string[], width: number): string[] {
  const out: string[] = []
  const versions = (v: Record<string, number>): string => Object.entries(v).map(([k, n]) => `v${k}: ${int(n)}`).join(', ')
  const files = r.files.map(f => `${int(f.files)} ${f.dataset} (${bytesText(f.bytes)}${f.files > 0 ? `; format ${versions(f.versions)}` : ''})`).join(', ')
  out.push(`archive   ${dirs.join(', ')}`)
  out.push(`hosts     ${r.hosts.length === 0 ? 'none' : r.hosts.map(h => h.host).join(', ')}`)
  out.push(`files     ${files}`)
  if (r.first !== null && r.last !== null) {
    const span = Number(BigInt(r.last) - BigInt(r.first)) / 1e9
    out.push(`time      ${isoNs(r.first)} .. ${isoNs(r.last)} (${span.toFixed(3)} s)`)
  } else {
    out.push('time      no records')
  }
  out.push(`records   ${int(r.records)}; ${r.averagePerSecond.toFixed(1)}/s on average` +
    (r.busiestSecond === null ? '' : `, busiest second ${isoNs(r.busiestSecond.start).replace(/\.0{9}Z$/, 'Z')} with ${int(r.busiestSecond.records)}`))
  const lost = r.losses.reduce((s, l) => s + l.count, 0)
  out.push(`losses    ${r.losses.length === 0 ? 'none' : `${int(lost)} records lost in ${int(r.losses.reduce((s, l) => s + l.rows, 0))} loss rows`}`)
  if (r.hosts.length > 0) {
    out.push('', ...table([['host', false], ['records', true], ['first', false], ['last', false], ['files', true], ['bytes', true]],
      r.hosts.map(h => [h.host, int(h.records), h.first === null ? '' : isoNs(h.first), h.last === null ? '' : isoNs(h.last), int(h.recordFiles + h.lossFiles), bytesText(h.bytes)]), width))
  }
  const counts = (name: string, list: [string, number][]): string[] =>
    list.length === 0 ? [] : ['', ...table([[name, false], ['records', true], ['share', true]], list.map(([k, n]) => [k, int(n), pct(n, r.records)]), width)]
  out.push(...counts('cpu', r.perCpu.map(c => [String(c.cpu), c.records])), ...counts('level', r.perLevel.map(c => [c.level, c.records])),
    ...counts('type', r.perType.map(c => [c.type, c.records])))
  if (r.losses.length > 0) {
    out.push('', ...table([['loss reason', false], ['rows', true], ['records lost', true]], r.losses.map(l => [l.reason, int(l.rows), int(l.count)]), width))
  }
  return out
}
