// The staging engine both writers share (publisher.ts turns its sealed stages into files).
//
// Rows are written column by column into typed arrays (numbers) and PLAIN-encoded byte
// columns (strings, bytes: plain-parquet.ts's ByteColumn); every GROUP_ROWS rows (or
// GROUP_BYTES of row data) they are written whole, as one row group, to the stage's
// staging file, a plain uncompressed Parquet file. No value is converted per row and no
// native call is made per row: times stay as u32 halves, codes stay codes, and DuckDB
// turns them into the archive's types when it copies a staging file into the archive's
// zstd Parquet file (sql.ts). Rows are grouped into *stages*: a stage becomes one Parquet
// file. A stage is sealed when it reaches maxFileBytes, when a row falls in another UTC
// hour (so a file's partition always matches every row in it), or when it is older than
// maxAgeSeconds at a publish. Sealing is synchronous (the staging file gets its footer),
// so appending goes on into the next stage while sealed stages are copied out by DuckDB.
//
// Memory: the JS side holds one row group (GROUP_ROWS rows, GROUP_BYTES of row data at
// most). Staged, unpublished rows are in staging files in a private directory under
// tempDirectory, at most maxStagedBytes (approximate row bytes; append refuses more with
// StagingFullError); a published stage's file is removed, and so are the staging
// directories of writers that died (their rows are still in the spool). DuckDB's
// working memory for the COPY (and its sort, for a stage not staged in order) is capped
// by its memory_limit (256MB by default, spilling to tempDirectory beyond it), and the
// COPY runs on one thread: with more, DuckDB reads the staging file faster than one
// Parquet writer compresses it and buffers the difference up to memory_limit (255 MiB
// of a 139 MiB stage was measured), for no gain in speed on a collector whose capture
// and archive threads already keep the cores busy. One thread holds about one output
// row group (DEFAULT_ROW_GROUP_SIZE; the memory bench in bench/memory.ts). Stages are also
// copied one at a time: copying the next stage ahead, on a second connection, while the
// one before is published took bench/collect.ts from 0.54x to 0.60x, and the 100M-record
// memory bench peaked at 399 MiB with it; but that bench was later found to peak at 368
// MiB without it, when compaction sorted an hour (collector/collect/compactor.ts), so what
// copying ahead costs in memory is still to be measured.

import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { BACKGROUND_PURGE } from './allocator.ts'
import { StagingFullError } from './errors.ts'
import { checkHost } from './paths.ts'
import { ByteColumn, PlainParquetFile, type ColumnData, type PlainColumn, type PlainType } from './plain-parquet.ts'
import { Publisher } from './publisher.ts'
import { makeStageDir, tempDirectoryOf } from './stage-dir.ts'
import { keepsInsertionOrder } from './sql.ts'
import { hourOfQ, Q_PER_HOUR, splitNs, toNs } from './time.ts'
import type {
  Channel, ChannelContext, DatasetSpec, NumKind, Published, Stage, StagerHooks, StagingColumn, StagingKind, WriterOptions,
} from './types.ts'

/**
 * Rows per staging row group. The worker holds one row group, and DuckDB reads one at a
 * time into buffers of its size: 16,384 rows (4 MiB at most) instead of 65,536 (16 MiB)
 * took 19 MiB off the collector's peak RSS (bench/memory.ts --quick: 256 -> 237 MiB) and
 * 5% off its CPU time (bench/collect.ts); 8,192 took nothing more off.
 */
export const GROUP_ROWS = 16_384
/** A row group is also written once its rows reach this many (approximate) bytes. */
const GROUP_BYTES = 4 * 1024 * 1024

const PLAIN_TYPES: Record<StagingKind, PlainType> = {
  u8: 'u8', u16: 'u16', u32: 'u32', i32: 'i32', f64: 'f64', varchar: 'utf8', blob: 'bytes',
}
/** Numbers are held as Parquet stores them: INT32 (unsigned ones annotated) or DOUBLE. */
export type NumArray = Uint32Array | Int32Array | Float64Array
function makeArray (kind: NumKind, n: number): NumArray {
  switch (kind) {
    case 'u8': case 'u16': case 'u32': return new Uint32Array(n)
    case 'i32': return new Int32Array(n)
    case 'f64': return new Float64Array(n)
  }
}

const DEFAULT_FILE_BYTES = 128 * 1024 * 1024
/**
 * Rows per row group of the archive's files. DuckDB holds a whole row group while it
 * writes it: half its default (122,880) keeps 30 MiB out of the collector's peak RSS,
 * for files about 13% larger (bench/memory.ts; ARCHIVE.md).
 */
const DEFAULT_ROW_GROUP_SIZE = 61_440

/** The in-memory DuckDB instance a writer copies stages with, with its memory bounded (see above). */
export function createInstance (opts: Pick<WriterOptions, 'memoryLimit' | 'tempDirectory'>): Promise<DuckDBInstance> {
  return DuckDBInstance.create(':memory:', {
    memory_limit: opts.memoryLimit ?? '256MB',
    threads: '1',
    // it keeps about 1 MiB of every file read, and each stage is a new staging file: the
    // cache grew by a MiB with every file published (bench/memory.ts), for no reuse
    enable_external_file_cache: 'false',
    temp_directory: tempDirectoryOf(opts),
    ...BACKGROUND_PURGE,
  })
}

export class Stager {
  readonly spec: DatasetSpec
  readonly out: string
  readonly host: string
  /** the three limits below change only through setLimits() (a SIGHUP reload) */
  maxFileBytes: number
  maxAgeMs: number
  maxStagedBytes: number
  /** maxStagedBytes as given; undefined: 4 * maxFileBytes, following it */
  private readonly stagedLimit: number | undefined
  private readonly now: () => number
  private readonly publisher: Publisher

  // DuckDB
  private readonly instance: DuckDBInstance
  private readonly ownsInstance: boolean
  private readonly queryConn: DuckDBConnection
  /** a second connection: the summary of a sealed stage is read on it while the one before is copied */
  private readonly metaConn: DuckDBConnection
  /** private directory of the staging files */
  readonly stageDir: string
  private readonly columns: readonly PlainColumn[]
  /** per staging column, its values in the row group being filled */
  private readonly data: ColumnData[]
  private readonly byName: Map<string, number>
  private readonly chArray: Uint32Array

  /** rows in the row group not yet written to the stage's file */
  private n = 0
  /** approximate bytes of those rows */
  private groupBytes = 0
  /** offset of the current channel, split (time.ts); read by the writers' append */
  offQ = 0
  offR = 0
  private channelIndex = -1
  private readonly channels = new Map<number, Channel>()

  private cur: Stage
  /** the current stage's staging file, once its first row group is written */
  private file: PlainParquetFile | undefined
  private nextStageId = 1
  private readonly sealed: Stage[] = []
  private sealPending = false
  /** id of the last sealed stage a publish call has taken on */
  private claimedId = 0
  /** bytes of all unpublished rows (sealed stages and the current one) */
  private stagedBytes = 0
  private closed = false
  /**
   * The row being staged: the writer sets [q, r, cpu, seq] (its time as utcQ:utcR,
   * time.ts, then cpu and seq: its place in the file's sort order) before beginRow.
   * Numbers pass through a Float64Array, not as arguments, so that none is boxed.
   */
  readonly key = new Float64Array(4)
  /** key of the row staged before, for Stage.ordered */
  private readonly lastKey = new Float64Array(4)

  private constructor (
    spec: DatasetSpec, opts: WriterOptions, hooks: StagerHooks,
    instance: DuckDBInstance, ownsInstance: boolean, queryConn: DuckDBConnection, metaConn: DuckDBConnection, stageDir: string,
    keepsOrder: boolean
  ) {
    this.spec = spec
    this.out = opts.out
    this.host = checkHost(opts.host)
    this.maxFileBytes = opts.maxFileBytes ?? DEFAULT_FILE_BYTES
    this.maxAgeMs = (opts.maxAgeSeconds ?? 60) * 1000
    this.stagedLimit = opts.maxStagedBytes
    this.maxStagedBytes = opts.maxStagedBytes ?? 4 * this.maxFileBytes
    this.now = opts.now ?? Date.now
    this.instance = instance
    this.ownsInstance = ownsInstance
    this.queryConn = queryConn
    this.metaConn = metaConn
    this.stageDir = stageDir
    this.publisher = new Publisher(spec, queryConn, metaConn, this.channels, {
      out: this.out,
      host: this.host,
      rowGroupSize: opts.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE,
      zstdLevel: opts.zstdLevel ?? 3,
      keepsOrder,
    }, hooks)

    const all: StagingColumn[] = [{ name: 'ch', kind: 'u32' }, ...spec.columns]
    this.columns = all.map((c) => ({ name: c.name, type: PLAIN_TYPES[c.kind] }))
    this.data = all.map((c) => (c.kind === 'varchar' || c.kind === 'blob' ? new ByteColumn() : makeArray(c.kind, GROUP_ROWS)))
    this.byName = new Map(all.map((c, i) => [c.name, i]))
    this.chArray = this.data[0] as Uint32Array
    this.cur = this.newStage()
  }

  static async open (spec: DatasetSpec, opts: WriterOptions, hooks: StagerHooks = {}): Promise<Stager> {
    checkHost(opts.host)
    const maxFileBytes = opts.maxFileBytes ?? DEFAULT_FILE_BYTES
    if (!(maxFileBytes > 0)) throw new RangeError('maxFileBytes must be > 0')
    if (opts.maxStagedBytes !== undefined && !(opts.maxStagedBytes >= maxFileBytes)) {
      throw new RangeError('maxStagedBytes must be at least maxFileBytes')
    }
    if (opts.maxAgeSeconds !== undefined && !(opts.maxAgeSeconds > 0)) throw new RangeError('maxAgeSeconds must be > 0')
    const zl = opts.zstdLevel ?? 3
    if (!(Number.isInteger(zl) && zl >= 1 && zl <= 22)) throw new RangeError('zstdLevel must be 1..22')
    const rg = opts.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE
    if (!(Number.isInteger(rg) && rg >= 1)) throw new RangeError('rowGroupSize must be a positive integer')

    const ownsInstance = opts.instance === undefined
    const instance = opts.instance ?? (await createInstance(opts))
    const queryConn = await instance.connect()
    const metaConn = await instance.connect()
    const keepsOrder = await keepsInsertionOrder(queryConn)
    const stageDir = makeStageDir(tempDirectoryOf(opts), spec.dataset)
    const s = new Stager(spec, opts, hooks, instance, ownsInstance, queryConn, metaConn, stageDir, keepsOrder)
    // the dataset exists from the start, also if it never gets a row (empty-file.ts)
    await s.publisher.ensureDataset(s.now())
    return s
  }

  /**
   * New file limits, for the rows from now on: a stage already past `maxFileBytes` is
   * sealed at its next row, one older than `maxAgeSeconds` at the next publishDue().
   * The staging bound follows (4 x maxFileBytes unless one was given, never below it).
   */
  setLimits (maxFileBytes: number, maxAgeSeconds: number): void {
    if (!(maxFileBytes > 0)) throw new RangeError('maxFileBytes must be > 0')
    if (!(maxAgeSeconds > 0)) throw new RangeError('maxAgeSeconds must be > 0')
    this.maxFileBytes = maxFileBytes
    this.maxAgeMs = maxAgeSeconds * 1000
    this.maxStagedBytes = Math.max(this.stagedLimit ?? 4 * maxFileBytes, maxFileBytes)
    if (this.cur.bytes >= maxFileBytes) this.sealPending = true
  }

  // ---- column access for the dataset writers (once, at construction) ----

  array (name: string): NumArray {
    const a = this.data[this.byName.get(name) ?? -1]
    if (a === undefined || a instanceof ByteColumn) throw new Error(`no numeric staging column ${name}`)
    return a
  }

  bytes (name: string): ByteColumn {
    const a = this.data[this.byName.get(name) ?? -1]
    if (!(a instanceof ByteColumn)) throw new Error(`no string or bytes staging column ${name}`)
    return a
  }

  // ---- channel ----

  setChannel (ctx: ChannelContext): void {
    this.checkOpen()
    if (!/^[0-9a-f]{16}$/.test(ctx.channelId)) {
      throw new RangeError(`channel_id ${JSON.stringify(ctx.channelId)} is not 16 lowercase hex digits`)
    }
    const offsetNs = toNs(ctx.monoToRealtimeNs)
    const off = splitNs(offsetNs)
    const c = this.channels.get(this.channelIndex)
    if (c !== undefined && c.id === ctx.channelId && c.offsetNs === offsetNs) return
    // The row group's `ch` column is filled when the group is written: rows already in
    // it belong to the channel that was current when they were written.
    this.flushGroup()
    this.channelIndex += 1
    this.channels.set(this.channelIndex, { id: ctx.channelId, offsetNs })
    this.offQ = off.q
    this.offR = off.r
  }

  // ---- the row protocol: set key; i = beginRow(bytes); write column i; endRow(bytes) ----
  // Anything that can throw happens in beginRow, before the row is taken.

  beginRow (bytes: number): number {
    const q = this.key[0]!
    if (this.sealPending) this.seal()
    if (this.n === GROUP_ROWS || this.groupBytes >= GROUP_BYTES) this.flushGroup()
    if (this.stagedBytes + bytes > this.maxStagedBytes && this.stagedBytes > 0) {
      throw new StagingFullError(this.stagedBytes, this.maxStagedBytes)
    }
    let st = this.cur
    if (st.rows !== 0 && (q < st.qStart || q >= st.qStart + Q_PER_HOUR)) {
      this.seal()
      st = this.cur
    }
    if (st.rows === 0) {
      if (this.channelIndex < 0) throw new Error('archive: setChannel() must be called before append()')
      if (this.closed) throw new Error('archive: writer is closed')
      st.hour = hourOfQ(q)
      st.qStart = st.hour * Q_PER_HOUR
      st.firstRowAt = this.now()
      st.firstCh = this.channelIndex
    }
    return this.n
  }

  /** Ends the row begun by beginRow; a row below the one before clears the stage's `ordered`. */
  endRow (bytes: number): void {
    const st = this.cur
    const k = this.key
    const last = this.lastKey
    if (st.rows > 0 && st.ordered) {
      for (let f = 0; f < 4; f++) {
        if (k[f]! !== last[f]!) {
          st.ordered = k[f]! > last[f]!
          break
        }
      }
    }
    last.set(k)
    this.n += 1
    this.groupBytes += bytes
    st.rows += 1
    st.bytes += bytes
    this.stagedBytes += bytes
    if (st.bytes >= this.maxFileBytes) this.sealPending = true
  }

  // ---- staging ----

  private newStage (): Stage {
    const id = this.nextStageId++
    const path = join(this.stageDir, `${id}.parquet`)
    return { id, path, rows: 0, bytes: 0, hour: 0, qStart: 0, firstRowAt: 0, ordered: true, firstCh: 0, lastCh: 0 }
  }

  /** Writes the row group's rows to the current stage's staging file. */
  private flushGroup (): void {
    const n = this.n
    if (n === 0) return
    this.chArray.fill(this.channelIndex, 0, n)
    this.file ??= new PlainParquetFile(this.cur.path, this.columns)
    this.file.writeRowGroup(n, this.data)
    for (const d of this.data) if (d instanceof ByteColumn) d.reset()
    this.n = 0
    this.groupBytes = 0
  }

  /** Ends the current stage: its staging file is complete and it joins the publish queue. */
  private seal (): void {
    this.flushGroup()
    const st = this.cur
    if (st.rows > 0) {
      this.file!.close()
      this.file = undefined
      st.lastCh = this.channelIndex
      this.sealed.push(st)
      this.publisher.summarize(st)
      this.cur = this.newStage()
    }
    this.sealPending = false
  }

  // ---- publishing ----

  /** True when publishDue() would write a file now. */
  due (now: number = this.now()): boolean {
    return this.sealed.length > 0 || this.sealPending || (this.cur.rows > 0 && now - this.cur.firstRowAt >= this.maxAgeMs)
  }

  get stagedRows (): number {
    let r = this.cur.rows
    for (const s of this.sealed) r += s.rows
    return r
  }

  get staged (): number {
    return this.stagedBytes
  }

  publishDue (now: number = this.now()): Promise<Published[]> {
    this.checkOpen()
    if (this.cur.rows > 0 && (this.sealPending || now - this.cur.firstRowAt >= this.maxAgeMs)) this.seal()
    return this.publishSealed()
  }

  /**
   * True when a stage is sealed (or full, so sealed at the next row) that no publish call
   * has taken on yet: publishSealedNow() would start a file.
   */
  get sealedWaiting (): boolean {
    return this.sealPending || (this.sealed.at(-1)?.id ?? 0) > this.claimedId
  }

  /** Publishes the stages sealed so far (the current one too if it is full), never one only because of its age. */
  publishSealedNow (): Promise<Published[]> {
    this.checkOpen()
    if (this.sealPending && this.cur.rows > 0) this.seal()
    return this.publishSealed()
  }

  publishAll (): Promise<Published[]> {
    this.checkOpen()
    if (this.cur.rows > 0) this.seal()
    return this.publishSealed()
  }

  async close (): Promise<Published[]> {
    this.checkOpen()
    const published = await this.publishAll()
    this.closed = true
    rmSync(this.stageDir, { recursive: true, force: true })
    this.queryConn.closeSync()
    this.metaConn.closeSync()
    if (this.ownsInstance) this.instance.closeSync()
    return published
  }

  private checkOpen (): void {
    if (this.closed) throw new Error('archive: writer is closed')
  }

  /** Publishes the stages sealed so far, in order (publisher.ts). */
  private publishSealed (): Promise<Published[]> {
    this.claimedId = this.sealed.at(-1)?.id ?? this.claimedId
    return this.publisher.publishSealed(this.sealed, (st) => this.release(st))
  }

  /** A stage is published: its bytes are free, and channels no unpublished row can use go. */
  private release (st: Stage): void {
    this.stagedBytes -= st.bytes
    let keep = this.cur.rows > 0 ? this.cur.firstCh : this.channelIndex
    for (const s of this.sealed) keep = Math.min(keep, s.firstCh)
    for (const i of this.channels.keys()) if (i < keep) this.channels.delete(i)
  }
}
