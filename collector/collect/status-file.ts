// <spool>/status.json (formats/STATUS.md): what the running collector holds and has done,
// rewritten about once a second by the capture thread (atomically: a temporary file renamed
// over it), so that `krelay status`, a soak test or an operator's script can watch its
// resources (RSS, open files, timers and handles of both threads) and its progress (records
// spooled per CPU and their rate, drops the kernel reported, how far the merge is behind,
// what the archive worker has archived and published) without asking it anything. Capture
// only adds to counters per sub-buffer; the worker counts per publish; the file is built
// once a second, off the hot path. The metrics (metrics.ts) read the same snapshot.
import fs from 'node:fs'
import path from 'node:path'
import type { SubbufHeader } from '../../formats/subbuf-header.ts'
import type { PipelineTotals } from './pipeline.ts'
import { createFileSync } from '../file-mode.ts'
import { segmentNumber } from '../spool/segment.ts'

export const STATUS_FILE = 'status.json'
export const STATUS_VERSION = 1
const INTERVAL_MS = 1000

/** Active resources of one thread by type (process.getActiveResourcesInfo()), e.g. { Timeout: 2, FSReqCallback: 1 }. */
export type ResourceCounts = Record<string, number>

/** Bytes of the archive files published, and when the last one was (ISO 8601), by the pipeline. */
export interface PublishFigures { bytes: number, lastAt: string | null }

/** What the archive worker answers to a `report` request. */
export interface ArchiveReport {
  resources: ResourceCounts
  /** null until its pipeline is open */
  totals: PipelineTotals | null
  /** Date.now() at which capture told the oldest reader pass the merge has not taken yet; null when it took all */
  pendingSince: number | null
  /** null until its pipeline is open */
  published: PublishFigures | null
  /** subscribers of the live stream now; null without a live stream */
  liveSubscribers: number | null
}

/**
 * bytes: of the records spooled (their headers' `committed`), for the console's drop hints
 * (cli/collect/drop-watch.ts); records_per_second: over the interval since the previous write
 */
interface CpuCounts { cpu: number, subbufs: number, records: number, dropped: number, bytes: number, records_per_second: number }
/** A CPU's counts and, for its rate, its records at the previous write. */
interface CpuState extends CpuCounts { before: number }

/** The file's content: formats/STATUS.md describes every field. */
export interface CollectorStatus {
  version: number
  pid: number
  state: 'running' | 'stopped'
  started_at: string
  updated_at: string
  channel_id: string | null
  rss_bytes: number
  open_fds: number | null
  timers: number
  handles: number
  resources: { capture: ResourceCounts, archive: ResourceCounts | null }
  spool_bytes: number
  /** the spool's oldest segment (the next the archive deletes), null when it has none */
  spool_oldest_segment: { file: string, modified_at: string, age_seconds: number } | null
  /** ms since capture told the worker of the oldest reader pass the merge has not taken yet; 0 when caught up, null before the worker answered */
  merge_lag_ms: number | null
  cpus: CpuCounts[]
  archive: {
    records: number, losses: number, lost_records: number, skipped: number, files: number, bytes: number, last_publish_at: string | null
  } | null
  /** live stream subscribers; null without a live stream or before the worker answered */
  live_subscribers: number | null
}

export function countResources (names: readonly string[]): ResourceCounts {
  const counts: ResourceCounts = {}
  for (const n of names) counts[n] = (counts[n] ?? 0) + 1
  return counts
}

/** Open file descriptors of this process, null where /proc/self/fd is not there. */
function openFds (): number | null {
  try {
    return fs.readdirSync('/proc/self/fd').length - 1 // the directory's own descriptor
  } catch {
    return null
  }
}

const sum = (counts: ResourceCounts | null, type?: string): number =>
  counts === null ? 0 : type !== undefined ? counts[type] ?? 0 : Object.values(counts).reduce((a, b) => a + b, 0)

/** The spool's oldest segment (segment names sort in write order), null when there is none. */
function oldestSegment (dir: string): CollectorStatus['spool_oldest_segment'] {
  let oldest: string | undefined
  try {
    for (const name of fs.readdirSync(dir)) {
      if (segmentNumber(name) >= 0 && (oldest === undefined || name < oldest)) oldest = name
    }
    if (oldest === undefined) return null
    const mtime = fs.statSync(path.join(dir, oldest)).mtimeMs
    return { file: oldest, modified_at: new Date(mtime).toISOString(), age_seconds: Math.max(0, Math.round((Date.now() - mtime) / 100) / 10) }
  } catch {
    return null // deleted meanwhile by the archive worker, or no spool directory: the next write sees the next one
  }
}

export interface StatusSources {
  /** bytes the spool's segments hold now */
  spoolBytes: () => number
  /** asks the archive worker for a report; it arrives later through archiveReport() */
  askArchive: () => void
  log: (line: string) => void
  /** hears every snapshot written (about once a second, and the last one at stop) */
  onStatus?: (s: CollectorStatus) => void
}

export class StatusFile {
  readonly file: string
  private readonly tmp: string
  private readonly startedAt = new Date().toISOString()
  private readonly cpus: CpuState[] = []
  private channelId: string | null = null
  private archive: ArchiveReport | null = null
  /** when a `report` was asked that has not been answered yet (a worker whose thread is busy) */
  private askedAt: number | undefined
  /** performance.now() of the previous write, for the rates */
  private lastWrite = 0
  private timer: NodeJS.Timeout | undefined
  private failed = false

  constructor (dir: string, private readonly sources: StatusSources) {
    this.file = path.join(dir, STATUS_FILE)
    this.tmp = `${this.file}.tmp`
  }

  /** Writes the file now and then about once a second, until stop(). */
  start (): void {
    this.tick()
    // unref: the file never keeps the collector alive, and it is not among the timers it counts
    this.timer = setInterval(() => this.tick(), INTERVAL_MS).unref()
  }

  /** A new channel (module load): the per-CPU counts start again. */
  channel (channelId: string): void {
    this.channelId = channelId
    this.cpus.length = 0
  }

  /** Capture spooled this sub-buffer (per sub-buffer: no allocation but a CPU's first). */
  spooled (cpu: number, header: SubbufHeader, headerOk: boolean): void {
    let c = this.cpus[cpu]
    if (c === undefined) this.cpus[cpu] = c = { cpu, subbufs: 0, records: 0, dropped: 0, bytes: 0, records_per_second: 0, before: 0 }
    c.subbufs++
    if (!headerOk) return
    c.records += header.nrecords
    c.dropped += header.dropped
    c.bytes += header.committed
  }

  archiveReport (r: ArchiveReport): void {
    this.archive = r
    this.askedAt = undefined
  }

  /** The figures as of now. */
  snapshot (state: CollectorStatus['state'] = 'running'): CollectorStatus {
    const capture = countResources(process.getActiveResourcesInfo())
    const archive = this.archive?.resources ?? null
    const t = this.archive?.totals ?? null
    const pub = this.archive?.published ?? { bytes: 0, lastAt: null }
    return {
      version: STATUS_VERSION,
      pid: process.pid,
      state,
      started_at: this.startedAt,
      updated_at: new Date().toISOString(),
      channel_id: this.channelId,
      rss_bytes: process.memoryUsage.rss(),
      open_fds: openFds(),
      timers: sum(capture, 'Timeout') + sum(archive, 'Timeout'),
      handles: sum(capture) + sum(archive),
      resources: { capture, archive },
      spool_bytes: this.sources.spoolBytes(),
      spool_oldest_segment: oldestSegment(path.dirname(this.file)),
      merge_lag_ms: this.mergeLagMs(),
      cpus: this.cpus.filter(c => c !== undefined).map(c => ({ cpu: c.cpu, subbufs: c.subbufs, records: c.records, dropped: c.dropped, bytes: c.bytes, records_per_second: c.records_per_second })),
      archive: t === null
        ? null
        : { records: t.records, losses: t.losses, lost_records: t.lostRecords, skipped: t.skipped, files: t.files, bytes: pub.bytes, last_publish_at: pub.lastAt },
      live_subscribers: this.archive?.liveSubscribers ?? null,
    }
  }

  /**
   * How long the oldest reader pass the merge has not taken has waited (as of the worker's
   * last answer, up to a second old), or at least as long as the worker has not answered.
   */
  private mergeLagMs (): number | null {
    const now = Date.now()
    const unanswered = this.askedAt === undefined ? 0 : now - this.askedAt
    if (this.archive === null) return this.askedAt === undefined || unanswered < INTERVAL_MS ? null : unanswered
    const since = this.archive.pendingSince
    return Math.max(since === null ? 0 : now - since, unanswered < INTERVAL_MS ? 0 : unanswered)
  }

  /** Records per second of each CPU since the previous write. */
  private rates (): void {
    const now = performance.now()
    const seconds = (now - this.lastWrite) / 1000
    for (const c of this.cpus) {
      if (c === undefined) continue
      c.records_per_second = this.lastWrite === 0 || seconds <= 0 ? 0 : Math.round((c.records - c.before) / seconds * 10) / 10
      c.before = c.records
    }
    this.lastWrite = now
  }

  /** Stops the updates and writes the last figures, marked stopped, with the archive's final totals if it ended well. */
  stop (end?: { totals: PipelineTotals, published: PublishFigures }): void {
    clearInterval(this.timer)
    this.timer = undefined
    if (end !== undefined) this.archive = { resources: {}, totals: end.totals, published: end.published, pendingSince: null, liveSubscribers: null }
    this.askedAt = undefined
    this.rates()
    this.write('stopped')
  }

  private tick (): void {
    this.rates()
    this.write('running')
    this.askedAt ??= Date.now()
    this.sources.askArchive()
  }

  private write (state: CollectorStatus['state']): void {
    const snapshot = this.snapshot(state)
    try {
      // the collector's file mode, and never through a link planted at the tmp name (file-mode.ts)
      fs.rmSync(this.tmp, { force: true })
      const fd = createFileSync(this.tmp)
      try {
        fs.writeSync(fd, `${JSON.stringify(snapshot)}\n`)
      } finally {
        fs.closeSync(fd)
      }
      fs.renameSync(this.tmp, this.file)
      if (this.failed) this.sources.log(`${this.file} is written again`)
      this.failed = false
    } catch (err) {
      // the file is a view: the collector goes on without it, and says so once
      if (!this.failed) this.sources.log(`cannot write ${this.file} (${(err as Error).message}): the collector goes on, the file is stale until this clears`)
      this.failed = true
    }
    this.sources.onStatus?.(snapshot)
  }
}
