// The collector's compaction (on unless `krelay collect --no-compact`): in the archive
// worker, on a DuckDB instance of its own (one thread, bounded memory: it never competes
// with the stager's COPYs for more), one hour at a time, in the background. Capture never
// waits for it: it runs on the worker's event loop between the pipeline's awaits, and
// DuckDB does the work on its own thread.
//
// Which hours: at start, every hour directory of this host (an archive written with
// --no-compact, or a compaction cut short, is caught up); then the hour of every file
// the pipeline publishes. An hour is compacted once it ended `graceMs` ago (the
// collector publishes an hour's last file within about --file-age of its end). A late
// file for a closed hour (a replay after a crash) makes it due again, LATE_FILE_WAIT_MS
// after it was published (a reader following the archive reads it first): compaction only
// ever takes the files it listed, so a file published meanwhile is simply left for the
// next round. The ledger's pending file (published, its seqs not yet settled) is never an
// input: removing it before the ledger settles would let a crash replay its rows again.
import path from 'node:path'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { isClosed, listHourDirs } from '../archive/compact-archive.ts'
import { BACKGROUND_PURGE } from '../archive/allocator.ts'
import { compactHour, DEFAULT_COMPACT_GRACE_MS, type HourResult } from '../archive/compact.ts'
import { hourPartition } from '../archive/time.ts'

/**
 * A file published into a closed hour (a late file) waits this long before its hour is
 * compacted again: readers that follow the archive (krelay tail --archive) read it first.
 */
export const LATE_FILE_WAIT_MS = 2 * 60_000
const CHECK_EVERY_MS = 30_000
const HOUR_MS = 3_600_000

export interface CompactorOptions {
  readonly out: string
  readonly host: string
  /** where DuckDB may spill a large hour's sort (the spool's duckdb directory) */
  readonly tempDirectory: string
  /** the file the ledger has pending, if any: never an input */
  readonly pendingFile: () => string | undefined
  readonly log: (line: string) => void
  readonly graceMs?: number
  readonly checkEveryMs?: number
  readonly now?: () => number
}

export class Compactor {
  /** hour directories that may need compacting: their hour (hours since the epoch), and not before when (ms) */
  private readonly due = new Map<string, { hour: number, notBefore: number }>()
  private running: Promise<void> | undefined
  private stopped = false
  private readonly timer: NodeJS.Timeout
  private readonly now: () => number
  /** the connection of the round under way */
  private conn: DuckDBConnection | undefined

  private constructor (private readonly opts: CompactorOptions) {
    this.now = opts.now ?? Date.now
    this.timer = setInterval(() => this.poke(), opts.checkEveryMs ?? CHECK_EVERY_MS)
    this.timer.unref()
  }

  /** Finds this host's hours, and starts the first round. */
  static async start (opts: CompactorOptions): Promise<Compactor> {
    const c = new Compactor(opts)
    for (const h of await listHourDirs(opts.out, { hosts: [opts.host] })) c.due.set(h.dir, { hour: h.hour, notBefore: 0 })
    c.poke()
    return c
  }

  /** Files the pipeline published: their hours are due (once closed). */
  published (files: readonly { path: string }[]): void {
    for (const f of files) {
      const dir = path.dirname(path.resolve(f.path))
      const m = /date=(\d{4}-\d\d-\d\d)[/\\]hour=(\d\d)$/.exec(dir)
      if (m !== null) this.due.set(dir, { hour: Date.parse(`${m[1]}T${m[2]}:00:00Z`) / HOUR_MS, notBefore: this.now() + LATE_FILE_WAIT_MS })
    }
    this.poke()
  }

  /** Starts a round unless one runs or none is due. */
  poke (): void {
    if (this.running !== undefined || this.stopped) return
    if (this.ready().length === 0) return
    this.running = this.round()
      .catch((err: unknown) => this.opts.log(`compaction could not run: ${(err as Error).message} (tried again later)`))
      .finally(() => { this.running = undefined })
  }

  /** The due hours that can be compacted now, oldest first. */
  private ready (): Array<[string, number]> {
    const now = this.now()
    const graceMs = this.opts.graceMs ?? DEFAULT_COMPACT_GRACE_MS
    return [...this.due].filter(([, d]) => isClosed(d.hour, now, graceMs) && now >= d.notBefore)
      .sort((a, b) => a[1].hour - b[1].hour).map(([dir, d]) => [dir, d.hour])
  }

  /** Compacts the closed hours that are due, oldest first, one at a time; stops early when stopped. */
  private async round (): Promise<void> {
    // opened for the round only: a collector that has nothing to compact holds no memory
    // for it (kept open, it held 7-14 MiB). Closing it purges DuckDB's allocator and turns
    // its background purging off, which the next publish turns on again (archive/allocator.ts)
    // 128MB: DuckDB's sort (an hour whose files overlap: compact.ts) takes memory in
    // proportion to its limit, whatever the hour's size (an hour of 1 MiB took 224 MiB at
    // 256MB, 140 MiB at 128MB, and 64MB refused to sort at all); beyond the limit it spills
    // to tempDirectory. An hour of 47 MiB of files compacted in 173 s at 128MB and in 185 s
    // at 256MB (issue 9's notes)
    const instance = await DuckDBInstance.create(':memory:', {
      threads: '1',
      memory_limit: '128MB',
      temp_directory: this.opts.tempDirectory,
      enable_external_file_cache: 'false',
      ...BACKGROUND_PURGE,
    })
    const conn = this.conn = await instance.connect()
    try {
      await this.compactReady(conn)
    } finally {
      this.conn = undefined
      conn.closeSync()
      instance.closeSync()
    }
  }

  private async compactReady (conn: DuckDBConnection): Promise<void> {
    for (const [dir, hour] of this.ready()) {
      if (this.stopped) return
      this.due.delete(dir)
      const t0 = performance.now()
      try {
        const pending = this.opts.pendingFile()
        const r = await compactHour(conn, dir, { exclude: p => pending !== undefined && path.resolve(pending) === p })
        this.report(dir, hour, r, performance.now() - t0)
      } catch (err) {
        if (this.stopped) return // interrupted by stop()
        // left for the next start, whose scan finds the hour again (and a journal is finished or rolled back first)
        this.opts.log(`compacting ${label(dir, hour)} failed: ${(err as Error).message} (its files stay readable; retried at the next start)`)
      }
    }
  }

  private report (dir: string, hour: number, r: HourResult, ms: number): void {
    const what = label(dir, hour)
    if (r.recovered !== 'none') this.opts.log(`compaction of ${what}: a compaction cut short was ${r.recovered}`)
    if (r.action === 'compacted') {
      this.opts.log(`compacted ${what}: ${r.filesIn} files -> ${r.filesOut}, ${r.rows} rows${r.sorted ? ' (sorted)' : ''}, ${r.bytesIn} -> ${r.bytesOut} bytes in ${(ms / 1000).toFixed(1)} s`)
    } else if (r.action === 'refused' || r.action === 'failed') {
      this.opts.log(`did not compact ${what}: ${r.reason}`)
    } else if (r.action === 'busy') {
      this.due.set(dir, { hour, notBefore: 0 }) // another process has it now: again later
    }
  }

  /** Resolves when no round runs (tests). */
  async idle (): Promise<void> {
    while (this.running !== undefined) await this.running
  }

  /**
   * Stops: no new hour is started, the one under way is interrupted (what it wrote is
   * hidden, and the next start finishes or rolls back its swap).
   */
  async stop (): Promise<void> {
    this.stopped = true
    clearInterval(this.timer)
    this.conn?.interrupt()
    await this.running
  }
}

function label (dir: string, hour: number): string {
  const p = hourPartition(hour)
  const dataset = path.basename(path.dirname(path.dirname(path.dirname(dir))))
  return `${dataset} ${p.date} ${p.hour}h`
}
