// The report as one self-contained HTML page: inline CSS (page.css), the data as JSON in a
// <script type="application/json"> (every `<`, `>` and `&` escaped, so no string from the
// archive can end the script), and the drawing code (draw.js) inline. A CSP in the page
// forbids every load, so it works offline and cannot reach out. The header and the
// busiest-seconds table are HTML made here, each string from the archive escaped.
import fs from 'node:fs'
import type { ReportData } from './data.ts'
import { isoNs } from './gather.ts'

const asset = (name: string): string => fs.readFileSync(new URL(name, import.meta.url), 'utf8')

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Text safe in HTML content and in quoted attribute values. */
export function escapeHtml (s: string): string {
  return s.replace(/[&<>"']/g, c => HTML_ESCAPES[c]!)
}

/** JSON that is inert inside <script>: no `<`, `>`, `&` or line separators left raw. */
export function scriptJson (value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')
}

const n = (v: number): string => v.toLocaleString('en-US')

/** "2026-03-09 07:02:30.123 UTC" from an RFC 3339 string with nanoseconds (ms shown) */
function utcText (iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)} UTC`
}

/** "3 h 4 min", "4 min 0.2 s", "850 ms" */
export function durationText (ns: bigint): string {
  const ms = Number(ns / 1_000_000n)
  if (ms < 1000) return `${ms} ms`
  const s = ms / 1000
  if (s < 60) return `${s.toFixed(1)} s`
  const parts: string[] = []
  const d = Math.floor(s / 86400)
  const h = Math.floor(s % 86400 / 3600)
  const m = Math.floor(s % 3600 / 60)
  if (d > 0) parts.push(`${d} d`)
  if (h > 0) parts.push(`${h} h`)
  if (m > 0 && d === 0) parts.push(`${m} min`)
  if (d === 0 && h === 0) parts.push(`${(s % 60).toFixed(1)} s`)
  return parts.join(' ')
}

function fact (name: string, value: string, cls = ''): string {
  return `<div><dt>${escapeHtml(name)}</dt><dd${cls === '' ? '' : ` class="${cls}"`}>${escapeHtml(value)}</dd></div>`
}

function header (d: ReportData): string {
  const from = isoNs(BigInt(d.firstNs))
  const to = isoNs(BigInt(d.lastNs))
  const t = d.totals
  const filter = [
    d.filter.since === null ? '' : `since ${d.filter.since}`,
    d.filter.until === null ? '' : `until ${d.filter.until}`,
    d.filter.hosts === null ? '' : `host ${d.filter.hosts.join(', ')}`,
  ].filter(s => s !== '').join(', ')
  const facts = [
    fact(d.hosts.length === 1 ? 'host' : 'hosts', d.hosts.join(', ')),
    fact('time range', `${utcText(from).replace(' UTC', '')} .. ${to.slice(0, 10) === from.slice(0, 10) ? utcText(to).slice(11) : utcText(to)}`),
    fact('span', durationText(BigInt(d.lastNs) - BigInt(d.firstNs))),
    fact('records', n(t.records)),
    fact('lost records', `${n(t.lostRecords)} (${n(t.lossRows)} loss rows)`, t.lostRecords > 0 || t.lossRows > 0 ? 'lost' : ''),
    fact('CPUs', n(t.cpus)),
    fact('comms', n(t.comms)),
    fact('pids', n(t.pids)),
    fact('types', n(t.types)),
  ]
  if (filter !== '') facts.push(fact('selected', filter))
  return `<header><h1>krelay report <span>${escapeHtml(d.dirs.join(' '))}</span></h1><dl class="facts">${facts.join('')}</dl></header>`
}

function card (id: string, title: string, sub: string, wide: boolean): string {
  return `<section class="card${wide ? ' wide' : ''}" id="${id}"><h2>${escapeHtml(title)}</h2><p class="sub">${escapeHtml(sub)}</p><div class="plot"></div></section>`
}

function busiestTable (d: ReportData): string {
  const pct = (a: number, b: number): string => b === 0 ? '' : ` (${Math.round(a / b * 100)}%)`
  const rows = d.busiest.map(s =>
    `<tr data-records="${s.records}"><td>${escapeHtml(utcText(new Date(s.startMs).toISOString()).replace('.000 ', ' '))}</td>` +
    `<td class="num">${n(s.records)}</td><td class="num${s.lost > 0 ? ' lost' : ''}">${n(s.lost)}</td>` +
    `<td>${escapeHtml(s.topCpu)}${pct(s.topCpuRecords, s.records)}</td><td>${escapeHtml(s.topComm)}${pct(s.topCommRecords, s.records)}</td></tr>`)
  const body = rows.length === 0 ? '<tr><td colspan="5">no records</td></tr>' : rows.join('')
  return `<section class="card wide" id="chart-busiest"><h2>Busiest seconds</h2><p class="sub">the ${d.busiest.length} seconds with most records; lost: records lost in that second (by the loss's ts_from)</p>` +
    '<table><thead><tr><th>second (UTC)</th><th class="num">records</th><th class="num">lost</th><th>busiest CPU</th><th>busiest comm</th></tr></thead>' +
    `<tbody>${body}</tbody></table></section>`
}

export function renderPage (d: ReportData): string {
  const per = `per ${d.bucket.label}`
  const title = `krelay report: ${d.hosts.join(', ')}, ${utcText(isoNs(BigInt(d.firstNs)))} .. ${utcText(isoNs(BigInt(d.lastNs)))}`
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${asset('./page.css')}</style>
</head><body>
${header(d)}
<main>
${card('chart-cpus', 'Records per second, per CPU', `stacked; averaged over buckets of ${d.bucket.label}; time in UTC`, true)}
${card('chart-losses', 'Lost records', `records lost ${per}, by reason (placed at each loss's ts_from)`, true)}
${card('chart-levels', 'Records per second by level', `stacked; ${per}`, false)}
${card('chart-types', 'Records per second by type', `one line per type; ${per}`, false)}
${card('chart-comms', 'Top comms', 'records per command name', false)}
${card('chart-pids', 'Top pids', 'records per pid (with the comm it wrote most under)', false)}
${busiestTable(d)}
</main>
<footer>Made by krelay report. Charts need JavaScript; the data is in this file (script#report-data).</footer>
<pre id="render-summary" hidden></pre>
<script type="application/json" id="report-data">${scriptJson(d)}</script>
<script>${asset('./draw.js')}</script>
</body></html>
`
}
