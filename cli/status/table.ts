// `krelay status` on a terminal: the kernel's counters and the collector's figures as
// aligned tables and lines (the same report --json prints).
import type { CollectorView } from './collector.ts'
import type { KernelStatus } from './kernel.ts'

export interface StatusReport {
  kernel: KernelStatus
  /** null when no spool was named (--out, --spool) */
  collector: CollectorView | null
}

const MiB = 1024 * 1024

function bytes (n: number): string {
  return n >= MiB ? `${(n / MiB).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`
}

/** Rows under a header, columns right-aligned but the first. */
function table (header: string[], rows: Array<Array<string | number>>): string[] {
  const cells = [header, ...rows.map(r => r.map(String))]
  const widths = header.map((_, i) => Math.max(...cells.map(r => r[i]!.length)))
  return cells.map(r => r.map((c, i) => i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)).join('  ').trimEnd())
}

function ago (iso: string, now: number): string {
  return `${Math.max(0, (now - Date.parse(iso)) / 1000).toFixed(1)} s ago`
}

function kernelLines (k: KernelStatus): string[] {
  if (k.state !== 'loaded') return [`kernel     ${k.state === 'absent' ? 'not loaded' : 'unreadable'}: ${k.error}`]
  return [
    `kernel     ${k.channel_dir}: channel ${k.channel_id ?? '(no id)'}, ${k.n_subbufs} sub-buffers of ${bytes(k.subbuf_size)} per CPU, level ${k.level}, generator ${k.generator}`,
    ...table(['cpu', 'online', 'written', 'dropped', 'too_big', 'filtered', 'backlog'],
      k.cpus.map(c => [c.cpu, c.online ? 'yes' : 'no', c.written, c.dropped, c.too_big, c.filtered, c.backlog_subbufs])),
  ]
}

function collectorLines (c: CollectorView, now: number): string[] {
  if (!('status' in c)) return [`collector  ${c.state === 'absent' ? 'not running' : 'unreadable'}: ${c.why}`]
  const s = c.status
  const head = c.state === 'running'
    ? `collector  running, pid ${s.pid}, since ${s.started_at}, updated ${c.age_seconds.toFixed(1)} s ago, channel ${s.channel_id ?? '(none yet)'}`
    : c.state === 'stopped'
      ? `collector  stopped at ${s.updated_at} (pid ${s.pid}); its final figures:`
      : `collector  STALE: ${c.why}; its last figures, of ${s.updated_at}, are not live:`
  const a = s.archive
  const oldest = s.spool_oldest_segment
  const lines = [head]
  // a rate is only meaningful from a live collector
  if (c.state === 'running') lines.push(...table(['cpu', 'records/s', 'spooled', 'dropped'], s.cpus.map(x => [x.cpu, x.records_per_second.toFixed(1), x.records, x.dropped])))
  else lines.push(...table(['cpu', 'spooled', 'dropped'], s.cpus.map(x => [x.cpu, x.records, x.dropped])))
  lines.push(
    `merge lag  ${s.merge_lag_ms === null || s.merge_lag_ms === undefined ? 'unknown (the archive worker has not answered yet)' : `${s.merge_lag_ms} ms`}`,
    `spool      ${bytes(s.spool_bytes)}${oldest == null ? ', no segment' : `, oldest segment ${oldest.file} (modified ${ago(oldest.modified_at, now)})`}`,
    a === null
      ? 'archive    not open yet'
      : `archive    ${a.files} files published (${bytes(a.bytes ?? 0)}), ${a.records} records merged, ${a.lost_records} lost in ${a.losses} loss rows; ` +
        (a.last_publish_at == null ? 'nothing published yet' : `last publish ${a.last_publish_at} (${ago(a.last_publish_at, now)})`),
    `live       ${s.live_subscribers === null || s.live_subscribers === undefined ? 'no live stream' : `${s.live_subscribers} subscriber${s.live_subscribers === 1 ? '' : 's'}`}`
  )
  return lines
}

export function renderTable (r: StatusReport, now = Date.now()): string {
  const lines = kernelLines(r.kernel)
  if (r.collector !== null) lines.push('', ...collectorLines(r.collector, now))
  return `${lines.join('\n')}\n`
}
