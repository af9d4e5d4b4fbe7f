// Publishing: a sealed stage becomes one Parquet file. Once sealed, a stage's summary (rows,
// times, seqs: stageMetaSql) is read on a connection of its own, so that it is ready when
// the COPYs before it are done and does not hold up the next. DuckDB copies the stage's archive
// rows (sql.ts) from its staging file to a `.partial` file, on its own threads, so
// appending goes on meanwhile; the afterCopy hook runs; the file is made durable and
// renamed into place (durable.ts); then the staging file is removed. Publish calls run
// one after another on one promise chain, so files appear in stage order. A stage whose
// file failed stays queued, and the next call retries it first.

import { join } from 'node:path'
import type { DuckDBConnection, DuckDBResultReader } from '@duckdb/node-api'
import { closeSync } from 'node:fs'
import { RESUME_PURGE_SQL } from './allocator.ts'
import { ensureDurableDir, publishFile, removeQuietly } from '../durable.ts'
import { chmodFileSync, createFileSync } from '../file-mode.ts'
import { ensureDatasetFile } from './empty-file.ts'
import { ArchiveWriteError } from './errors.ts'
import { fileBaseName, finalName, partialName, partitionDir } from './paths.ts'
import { copySql, stageChannelsSql, stageMetaSql, stageSource } from './sql.ts'
import { isoNs, stampNs } from './time.ts'
import type { Channel, DatasetSpec, Published, Stage, StageChannels, StagerHooks } from './types.ts'

export interface PublisherOptions {
  readonly out: string;
  readonly host: string;
  readonly zstdLevel: number;
  readonly rowGroupSize: number;
  /** the instance keeps insertion order (preserve_insertion_order): ordered stages need no sort */
  readonly keepsOrder: boolean;
}

export class Publisher {
  private readonly spec: DatasetSpec
  private readonly conn: DuckDBConnection
  private readonly metaConn: DuckDBConnection
  /** summaries of sealed stages, by stage id, read ahead of their publish */
  private readonly summaries = new Map<number, Promise<DuckDBResultReader>>()
  /** the stager's channels by index (it adds and forgets them) */
  private readonly channels: ReadonlyMap<number, Channel>
  private readonly opts: PublisherOptions
  private readonly hooks: StagerHooks
  private chain: Promise<unknown> = Promise.resolve()
  private readonly knownDirs = new Set<string>()
  /** when the writer started (ms), while the dataset's empty file may still be needed (empty-file.ts) */
  private emptyFileAt: number | null = null

  constructor (
    spec: DatasetSpec, conn: DuckDBConnection, metaConn: DuckDBConnection,
    channels: ReadonlyMap<number, Channel>, opts: PublisherOptions, hooks: StagerHooks
  ) {
    this.spec = spec
    this.conn = conn
    this.metaConn = metaConn
    this.channels = channels
    this.opts = opts
    this.hooks = hooks
  }

  /**
   * Publishes the stages queued in `sealed` (oldest first) so far, in order, one at a time;
   * stops at the first failure. Stages sealed while it runs are left to the next call, so a
   * steady stream of appends cannot keep one call running forever. Each published stage is
   * taken off the queue and handed to `released` before its rows are deleted.
   */
  publishSealed (sealed: Stage[], released: (st: Stage) => void): Promise<Published[]> {
    const last = sealed.at(-1)?.id ?? 0
    const run = async (): Promise<Published[]> => {
      const done: Published[] = []
      // a stage about to be published makes the dataset exist: no empty file then
      if (this.emptyFileAt !== null && !(sealed.length > 0 && sealed[0]!.id <= last)) {
        try {
          await ensureDatasetFile(this.conn, this.spec, this.opts, this.emptyFileAt, this.knownDirs)
        } catch (e) {
          const ex = e as { archivePath?: string; archiveCause?: unknown }
          throw new ArchiveWriteError(ex.archivePath ?? this.opts.out, ex.archiveCause ?? e, done)
        }
        this.emptyFileAt = null
      }
      while (sealed.length > 0 && sealed[0]!.id <= last) {
        const st = sealed[0]!
        let p: Published
        try {
          p = await this.publishStage(st)
        } catch (e) {
          const path = (e as { archivePath?: string }).archivePath ?? partitionDir(this.opts.out, this.spec.dataset, this.opts.host, st.hour)
          throw new ArchiveWriteError(path, (e as { archiveCause?: unknown }).archiveCause ?? e, done)
        }
        sealed.shift()
        released(st)
        done.push(p)
        this.emptyFileAt = null
        await removeQuietly(st.path)
      }
      return done
    }
    const p = this.chain.then(run, run)
    this.chain = p.catch(() => undefined)
    return p
  }

  /**
   * Writes the dataset's empty file if the host has no file of it (empty-file.ts), as the
   * writer opens at `nowMs`. A failure is not thrown here: the next publish tries again
   * first and reports it.
   */
  async ensureDataset (nowMs: number): Promise<void> {
    this.emptyFileAt = nowMs
    try {
      await this.publishSealed([], () => {})
    } catch {}
  }

  /**
   * Starts reading the summary of a stage just sealed (its staging file is complete), for
   * its publish. A failure is not reported here: that publish runs the query again.
   */
  summarize (st: Stage): void {
    const p = this.metaConn.runAndReadAll(stageMetaSql(stageSource(st.path), this.spec, this.stageChannels(st)))
    p.catch(() => undefined)
    this.summaries.set(st.id, p)
  }

  /** The summary of `st`: read ahead if it was, and read successfully; else read now. */
  private async summary (st: Stage, ch: StageChannels): Promise<DuckDBResultReader> {
    const ahead = this.summaries.get(st.id)
    this.summaries.delete(st.id)
    if (ahead !== undefined) {
      try {
        return await ahead
      } catch {}
    }
    return await this.conn.runAndReadAll(stageMetaSql(stageSource(st.path), this.spec, ch))
  }

  private stageChannels (st: Stage): StageChannels {
    const used: [number, Channel][] = []
    for (let i = st.firstCh; i <= st.lastCh; i++) {
      const c = this.channels.get(i)
      if (c !== undefined) used.push([i, c])
    }
    return stageChannelsSql(used)
  }

  private async publishStage (st: Stage): Promise<Published> {
    const spec = this.spec
    const ch = this.stageChannels(st)
    const from = stageSource(st.path)
    const meta = await this.summary(st, ch)
    let rows = 0
    let first: bigint | undefined
    let last: bigint | undefined
    const bySeq = new Map<string, { channelId: string; cpu: number; seq: number }>()
    for (const r of meta.getRows()) {
      const c = this.channels.get(Number(r[0]))
      if (c === undefined) throw new Error(`stage ${st.id} has rows of unknown channel index ${String(r[0])}`)
      const cpu = r[1] as number
      const seq = r[2] as number
      rows += r[3] as number
      const lo = r[4] as bigint
      const hi = r[5] as bigint
      if (first === undefined || lo < first) first = lo
      if (last === undefined || hi > last) last = hi
      const key = `${c.id}/${cpu}`
      const prev = bySeq.get(key)
      if (prev === undefined) bySeq.set(key, { channelId: c.id, cpu, seq })
      else if (seq > prev.seq) prev.seq = seq
    }
    if (rows !== st.rows || first === undefined || last === undefined) {
      throw new Error(`staged ${st.rows} rows for stage ${st.id} but found ${rows}`)
    }
    const maxSeq = [...bySeq.values()]
    const firstTs = isoNs(first)
    const lastTs = isoNs(last)
    const stamp = stampNs(first)
    const select = spec.select(from, ch)

    const dir = partitionDir(this.opts.out, spec.dataset, this.opts.host, st.hour)
    const base = fileBaseName(stamp)
    const tmp = join(dir, partialName(base))
    const final = join(dir, finalName(base))
    const published: Published = { dataset: spec.dataset, path: final, rows, firstTs, lastTs, maxSeq }
    try {
      await ensureDurableDir(dir, this.knownDirs, this.opts.out)
      // created here first (O_EXCL, O_NOFOLLOW): DuckDB writes into this file, not through a
      // link planted under its name; its mode is set again after, in case DuckDB made a new one
      closeSync(createFileSync(tmp))
      // an instance closed since (the compactor's) turned jemalloc's purging off (allocator.ts)
      await this.conn.run(RESUME_PURGE_SQL)
      await this.conn.run(copySql(select, spec, tmp, this.opts, st.ordered && this.opts.keepsOrder))
      chmodFileSync(tmp)
      await this.hooks.afterCopy?.(tmp, final, published)
      await publishFile(tmp, final)
    } catch (e) {
      await removeQuietly(tmp)
      throw Object.assign(new Error('publish failed'), { archivePath: final, archiveCause: e })
    }
    return published
  }
}
