// <spool>/status.json (formats/STATUS.md): what the running collector holds and has done,
// rewritten about once a second by the capture thread (atomically: a temporary file renamed
// over it), so that `krelay status`, a soak test or an operator's script can watch its
// resources (RSS, open files, timers and handles of both threads) and its progress (records
// spooled per CPU, drops the kernel reported, what the archive worker has archived)
// without asking it anything. Capture only adds to counters per sub-buffer; the file is
// built once a second, off the hot path.
import fs from 'node:fs'
import path from 'node:path'
import type { SubbufHeader } from '../../formats/subbuf-header.ts'
import type { PipelineTotals } from './pipeline.ts'
import { createFileSync } from '../file-mode.ts'

export const STATUS_FILE = 'status.json'
export const STATUS_VERSION = 1
const INTERVAL_MS = 1000

/** Active resources of one thread by type (process.getActiveResourcesInfo()), e.g. { Timeout: 2, FSReqCallback: 1 }. */
export type ResourceCounts = Record<string, number>

/** What the archive worker answers to a `report` request. */
export interface ArchiveReport {
  resources: ResourceCounts
  /** null until its pipeline is open */
  totals: PipelineTotals | null
}

/** bytes: of the records spooled (their headers' `committed`), for the console's drop hints (cli/collect/drop-watch.ts) */
interface CpuCounts { cpu: number, subbufs: number, records: number, dropped: number, bytes: number }

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
  cpus: CpuCounts[]
  archive: { records: number, losses: number, lost_records: number, skipped: number, files: number } | null
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
  private readonly cpus: CpuCounts[] = []
  private channelId: string | null = null
  private archive: ArchiveReport | null = null
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
    if (c === undefined) this.cpus[cpu] = c = { cpu, subbufs: 0, records: 0, dropped: 0, bytes: 0 }
    c.subbufs++
    if (!headerOk) return
    c.records += header.nrecords
    c.dropped += header.dropped
    c.bytes += header.committed
  }

  archiveReport (r: ArchiveReport): void {
    this.archive = r
  }

  /** The figures as of now. */
  snapshot (state: CollectorStatus['state'] = 'running'): CollectorStatus {
    const capture = countResources(process.getActiveResourcesInfo())
    const archive = this.archive?.resources ?? null
    const t = this.archive?.totals ?? null
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
      cpus: this.cpus.filter(c => c !== undefined).map(c => ({ ...c })),
      archive: t === null ? null : { records: t.records, losses: t.losses, lost_records: t.lostRecords, skipped: t.skipped, files: t.files },
    }
  }

  /** Stops the updates and writes the last figures, marked stopped, with the archive's final totals if it ended well. */
  stop (totals?: PipelineTotals): void {
    clearInterval(this.timer)
    this.timer = undefined
    if (totals !== undefined) this.archive = { resources: {}, totals }
    this.write('stopped')
  }

  private tick (): void {
    this.write('running')
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
