// The collector's Prometheus metrics (prom-client), served at http://<host>:<port>/metrics
// by the capture thread when `krelay collect --metrics host:port` asks for them (off by
// default). Nothing is counted for them: at each scrape they are set from the figures
// status.json is built from (status-file.ts: per sub-buffer counters of capture, the
// archive worker's last report) and from the kernel's `<channel>/stats` file, read then.
// Names follow Prometheus conventions: counters end in _total, units in the name
// (_seconds, _bytes), one `cpu` label where the kernel counts per CPU.
import http from 'node:http'
import fs from 'node:fs'
import path from 'node:path'
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import { parseStats, type ChannelStats } from '../../formats/stats.ts'
import type { CollectorStatus } from './status-file.ts'
import { MetricsListenError, metricsUrl, type MetricsListen } from './metrics-listen.ts'

/** Where the values come from at a scrape. */
export interface MetricsSources {
  status: () => CollectorStatus
  /** the channel directory whose `stats` is read at each scrape */
  channelDir: string
}

type CpuCounter = Counter<'cpu'>

/** The registry and its metrics; `update` sets them all from one status snapshot and one stats file. */
export class KrelayMetrics {
  readonly registry = new Registry()
  private readonly counter = (name: string, help: string, cpu = false): Counter =>
    new Counter({ name, help, labelNames: cpu ? ['cpu'] : [], registers: [this.registry] })

  private readonly gauge = (name: string, help: string, cpu = false): Gauge =>
    new Gauge({ name, help, labelNames: cpu ? ['cpu'] : [], registers: [this.registry] })

  private readonly written = this.counter('krelay_records_total', 'Records the kernel wrote to this CPU\'s relay buffer (stats: written), since the module was loaded', true) as CpuCounter
  private readonly dropped = this.counter('krelay_dropped_records_total', 'Records the kernel dropped on this CPU because its buffer was full (stats: dropped)', true) as CpuCounter
  private readonly tooBig = this.counter('krelay_too_big_records_total', 'Records the kernel refused on this CPU as larger than a sub-buffer (stats: too_big)', true) as CpuCounter
  private readonly filtered = this.counter('krelay_filtered_records_total', 'Records the kernel\'s level filter left out on this CPU (stats: filtered)', true) as CpuCounter
  private readonly backlog = this.gauge('krelay_backlog_subbufs', 'Complete sub-buffers of this CPU not yet acknowledged by the collector (stats: produced - consumed)', true)
  private readonly spooled = this.counter('krelay_spooled_records_total', 'Records of this CPU the collector wrote to its spool, for the current channel', true) as CpuCounter
  private readonly spoolBytes = this.gauge('krelay_spool_bytes', 'Bytes in the spool\'s segments (written by capture, not yet deleted by the archive)')
  private readonly mergeLag = this.gauge('krelay_merge_lag_seconds', 'How long the oldest reader pass the merge has not taken yet has waited; 0 when caught up')
  private readonly archived = this.counter('krelay_archived_records_total', 'Records the archive worker merged into the archive since the collector started')
  private readonly lost = this.counter('krelay_lost_records_total', 'Records lost (kernel drops, laps, reloads), as counted in the archive\'s loss rows')
  private readonly files = this.counter('krelay_archive_files_total', 'Archive files (records and losses) published since the collector started')
  private readonly lastPublish = this.gauge('krelay_archive_last_publish_timestamp_seconds', 'Unix time of the last archive file published; 0 before the first')
  private readonly subscribers = this.gauge('krelay_live_subscribers', 'Subscribers of the live stream (krelay tail) now')

  constructor () {
    collectDefaultMetrics({ register: this.registry })
    // gauges named _total, which promtool's lint refuses ("non-counter metrics should not have
    // _total suffix"); nodejs_active_handles and the others by type hold the same counts
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name)
  }

  update (s: CollectorStatus, stats: ChannelStats | null): void {
    for (const m of [this.written, this.dropped, this.tooBig, this.filtered, this.spooled]) m.reset()
    this.backlog.reset()
    for (const c of stats?.cpus ?? []) {
      const cpu = String(c.cpu)
      this.written.inc({ cpu }, c.written)
      this.dropped.inc({ cpu }, c.dropped)
      this.tooBig.inc({ cpu }, c.tooBig)
      this.filtered.inc({ cpu }, c.filtered)
      this.backlog.set({ cpu }, Math.max(0, c.produced - c.consumed))
    }
    for (const c of s.cpus) this.spooled.inc({ cpu: String(c.cpu) }, c.records)
    this.spoolBytes.set(s.spool_bytes)
    this.mergeLag.set((s.merge_lag_ms ?? 0) / 1000)
    for (const m of [this.archived, this.lost, this.files]) m.reset()
    const a = s.archive
    this.archived.inc(a?.records ?? 0)
    this.lost.inc(a?.lost_records ?? 0)
    this.files.inc(a?.files ?? 0)
    this.lastPublish.set(a?.last_publish_at == null ? 0 : Date.parse(a.last_publish_at) / 1000)
    this.subscribers.set(s.live_subscribers ?? 0)
  }
}

/** The kernel's stats now, or null when the module is not there (the kernel series are left out then). */
function readStats (channelDir: string): ChannelStats | null {
  try {
    return parseStats(fs.readFileSync(path.join(channelDir, 'stats'), 'latin1'))
  } catch {
    return null
  }
}

export class MetricsServer {
  private readonly metrics = new KrelayMetrics()
  private sources: MetricsSources | undefined

  private constructor (private readonly server: http.Server, readonly address: MetricsListen) {
    server.on('request', (req, res) => { this.answer(req, res).catch(() => undefined) })
  }

  /** Listens on `listen`; throws MetricsListenError when it cannot. Logs the URL. */
  static async listen (listen: MetricsListen, log: (line: string) => void): Promise<MetricsServer> {
    const server = http.createServer()
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(listen.port, listen.host, () => { server.off('error', reject); resolve() })
      })
    } catch (err) {
      const e = err as NodeJS.ErrnoException
      const why = e.code === 'EADDRINUSE'
        ? 'the address is in use (another krelay collect or exporter listens there): choose another port'
        : e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN'
          ? `${listen.host} is not an address of this machine`
          : e.code === 'EACCES' ? 'not allowed to listen on that port (below 1024 needs root)' : e.message
      throw new MetricsListenError(`metrics on ${listen.host}:${listen.port}: cannot listen (${e.code ?? e.message}): ${why}`)
    }
    server.on('error', err => log(`metrics: ${err.message}`))
    const port = (server.address() as { port: number }).port
    const m = new MetricsServer(server, { host: listen.host, port })
    log(`metrics on ${metricsUrl(m.address)}`)
    return m
  }

  /** From now on scrapes show the collector's figures (before: only the process metrics). */
  serve (sources: MetricsSources): void {
    this.sources = sources
  }

  async close (): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>(resolve => this.server.close(() => resolve()))
  }

  private async answer (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x')
    if (url.pathname !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: krelay serves /metrics\n')
      return
    }
    try {
      if (this.sources !== undefined) this.metrics.update(this.sources.status(), readStats(this.sources.channelDir))
      const body = await this.metrics.registry.metrics()
      res.writeHead(200, { 'content-type': this.metrics.registry.contentType }).end(req.method === 'HEAD' ? undefined : body)
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(err as Error).message}\n`)
    }
  }
}
