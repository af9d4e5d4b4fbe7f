// The staging engine both writers share (publisher.ts turns its sealed stages into files).
//
// Rows are written column by column into typed arrays (numbers) and straight into a
// DuckDB data chunk's vectors (strings, bytes); every 2048 rows the chunk is appended to
// one in-memory staging table. No value is converted per row: times stay as u32 halves,
// codes stay codes, and SQL turns them into the archive's types when a file is copied out
// (sql.ts). Rows are grouped into *stages*: a stage becomes one Parquet file. A stage is
// sealed when it reaches maxFileBytes, when a row falls in another UTC hour (so a file's
// partition always matches every row in it), or when it is older than maxAgeSeconds at a
// publish. Sealing is synchronous (it bumps the stage number written into the table's
// `stage` column), so appending goes on while sealed stages are copied out on a second
// connection (publisher.ts).
//
// Memory: the rows staged and not yet published are at most maxStagedBytes (approximate
// row bytes; append refuses more with StagingFullError), a stage is at most
// maxFileBytes + one row, the JS side holds one 2048-row chunk of numbers, and DuckDB's
// whole instance (staging table, appender buffer, the COPY's sort and Parquet buffers) is
// capped by its memory_limit (1GB by default, spilling to tempDirectory beyond it).

import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  DuckDBAppender,
  DuckDBBlobType,
  DuckDBConnection,
  DuckDBDataChunk,
  DuckDBDoubleType,
  DuckDBInstance,
  DuckDBIntegerType,
  DuckDBUIntegerType,
  DuckDBUSmallIntType,
  DuckDBUTinyIntType,
  DuckDBVarCharType,
  type DuckDBType,
} from '@duckdb/node-api'
// The vector-level C API (fill a chunk column with one copy, assign a string or bytes to
// one slot) is only exposed by the bindings package @duckdb/node-api itself is built on.
import duckdb from '@duckdb/node-bindings'
import { StagingFullError } from './errors.ts'
import { checkHost } from './paths.ts'
import { Publisher } from './publisher.ts'
import { hourOfQ, Q_PER_HOUR, splitNs, toNs } from './time.ts'
import type {
  Channel, ChannelContext, DatasetSpec, NumKind, Published, Stage, StagerHooks, StagingColumn, StagingKind, WriterOptions,
} from './types.ts'

export const CHUNK_ROWS = duckdb.vector_size()

const DUCK_TYPES: Record<StagingKind, DuckDBType> = {
  u8: DuckDBUTinyIntType.instance,
  u16: DuckDBUSmallIntType.instance,
  u32: DuckDBUIntegerType.instance,
  i32: DuckDBIntegerType.instance,
  f64: DuckDBDoubleType.instance,
  varchar: DuckDBVarCharType.instance,
  blob: DuckDBBlobType.instance,
}
const SQL_TYPES: Record<StagingKind, string> = {
  u8: 'UTINYINT', u16: 'USMALLINT', u32: 'UINTEGER', i32: 'INTEGER', f64: 'DOUBLE', varchar: 'VARCHAR', blob: 'BLOB',
}
type NumArray = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array
function makeArray (kind: NumKind, n: number): NumArray {
  switch (kind) {
    case 'u8': return new Uint8Array(n)
    case 'u16': return new Uint16Array(n)
    case 'u32': return new Uint32Array(n)
    case 'i32': return new Int32Array(n)
    case 'f64': return new Float64Array(n)
  }
}

const DEFAULT_FILE_BYTES = 128 * 1024 * 1024

/** The in-memory DuckDB instance a writer stages in, with its memory bounded. */
export function createInstance (opts: Pick<WriterOptions, 'memoryLimit' | 'tempDirectory'>): Promise<DuckDBInstance> {
  return DuckDBInstance.create(':memory:', {
    memory_limit: opts.memoryLimit ?? '1GB',
    temp_directory: opts.tempDirectory ?? join(tmpdir(), 'krelay-duckdb'),
  })
}

export class Stager {
  readonly spec: DatasetSpec
  readonly out: string
  readonly host: string
  readonly maxFileBytes: number
  readonly maxAgeMs: number
  readonly maxStagedBytes: number
  private readonly now: () => number
  private readonly publisher: Publisher

  // DuckDB
  private readonly instance: DuckDBInstance
  private readonly ownsInstance: boolean
  private readonly appendConn: DuckDBConnection
  private readonly queryConn: DuckDBConnection
  private readonly appender: DuckDBAppender
  readonly table: string
  private readonly chunk: DuckDBDataChunk
  private readonly vectors: duckdb.Vector[]
  private readonly numeric: { readonly index: number; readonly array: NumArray }[]
  private readonly byName: Map<string, number>
  private readonly stageArray: Uint32Array
  private readonly chArray: Uint32Array

  /** rows in the chunk not yet appended to the table */
  private n = 0
  /** offset of the current channel, split (time.ts); read by the writers' append */
  offQ = 0
  offR = 0
  private channelIndex = -1
  private readonly channels = new Map<number, Channel>()

  private cur: Stage
  private nextStageId = 1
  private readonly sealed: Stage[] = []
  private sealPending = false
  /** bytes of all unpublished rows (sealed stages and the current one) */
  private stagedBytes = 0
  private closed = false
  // sort key (q, r, cpu, seq) of the last row staged, for Stage.ordered
  private lastQ = 0
  private lastR = 0
  private lastCpu = 0
  private lastSeq = 0

  private constructor (
    spec: DatasetSpec, opts: WriterOptions, hooks: StagerHooks,
    instance: DuckDBInstance, ownsInstance: boolean,
    appendConn: DuckDBConnection, queryConn: DuckDBConnection, appender: DuckDBAppender, table: string,
    keepsOrder: boolean
  ) {
    this.spec = spec
    this.out = opts.out
    this.host = checkHost(opts.host)
    this.maxFileBytes = opts.maxFileBytes ?? DEFAULT_FILE_BYTES
    this.maxAgeMs = (opts.maxAgeSeconds ?? 60) * 1000
    this.maxStagedBytes = opts.maxStagedBytes ?? 4 * this.maxFileBytes
    this.now = opts.now ?? Date.now
    this.instance = instance
    this.ownsInstance = ownsInstance
    this.appendConn = appendConn
    this.queryConn = queryConn
    this.appender = appender
    this.table = table
    this.publisher = new Publisher(spec, queryConn, table, this.channels, {
      out: this.out,
      host: this.host,
      rowGroupSize: opts.rowGroupSize ?? 122_880,
      zstdLevel: opts.zstdLevel ?? 3,
      keepsOrder,
    }, hooks)

    const all: StagingColumn[] = [{ name: 'stage', kind: 'u32' }, { name: 'ch', kind: 'u32' }, ...spec.columns]
    this.chunk = DuckDBDataChunk.create(all.map((c) => DUCK_TYPES[c.kind]))
    this.vectors = all.map((_, i) => duckdb.data_chunk_get_vector(this.chunk.chunk, i))
    this.byName = new Map(all.map((c, i) => [c.name, i]))
    this.numeric = []
    for (let i = 0; i < all.length; i++) {
      const k = all[i]!.kind
      if (k !== 'varchar' && k !== 'blob') this.numeric.push({ index: i, array: makeArray(k, CHUNK_ROWS) })
    }
    this.stageArray = this.numeric[0]!.array as Uint32Array
    this.chArray = this.numeric[1]!.array as Uint32Array
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
    const rg = opts.rowGroupSize ?? 122_880
    if (!(Number.isInteger(rg) && rg >= 1)) throw new RangeError('rowGroupSize must be a positive integer')

    const ownsInstance = opts.instance === undefined
    const instance = opts.instance ?? (await createInstance(opts))
    const appendConn = await instance.connect()
    const queryConn = await instance.connect()
    const table = `krelay_stage_${spec.dataset}_${randomBytes(4).toString('hex')}`
    const cols = [{ name: 'stage', kind: 'u32' as const }, { name: 'ch', kind: 'u32' as const }, ...spec.columns]
      .map((c) => `"${c.name}" ${SQL_TYPES[c.kind]} NOT NULL`).join(', ')
    await queryConn.run(`CREATE TABLE ${table} (${cols})`)
    const appender = await appendConn.createAppender(table)
    // An instance the caller made may have turned insertion order off: then always sort.
    const setting = await queryConn.runAndReadAll("SELECT current_setting('preserve_insertion_order')")
    const keepsOrder = setting.getRows()[0]?.[0] === true
    return new Stager(spec, opts, hooks, instance, ownsInstance, appendConn, queryConn, appender, table, keepsOrder)
  }

  // ---- column access for the dataset writers (once, at construction) ----

  array (name: string): NumArray {
    const i = this.byName.get(name)
    const a = this.numeric.find((x) => x.index === i)
    if (a === undefined) throw new Error(`no numeric staging column ${name}`)
    return a.array
  }

  vector (name: string): duckdb.Vector {
    const i = this.byName.get(name)
    if (i === undefined) throw new Error(`no staging column ${name}`)
    return this.vectors[i]!
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
    // The chunk's `ch` column is filled when the chunk is appended: rows already in it
    // belong to the channel that was current when they were written.
    this.flushChunk()
    this.channelIndex += 1
    this.channels.set(this.channelIndex, { id: ctx.channelId, offsetNs })
    this.offQ = off.q
    this.offR = off.r
  }

  // ---- the row protocol: i = beginRow(q, bytes); write column i; endRow(bytes, ...key) ----
  // Anything that can throw happens in beginRow, before the row is taken.

  beginRow (q: number, bytes: number): number {
    if (this.sealPending) this.seal()
    if (this.n === CHUNK_ROWS) this.flushChunk()
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

  /**
   * Ends the row begun by beginRow. (q, r, cpu, seq) is its place in the file's sort order
   * (time as utcQ:utcR, time.ts): a row below the previous one clears the stage's `ordered`.
   */
  endRow (bytes: number, q: number, r: number, cpu: number, seq: number): void {
    const st = this.cur
    if (st.rows > 0 && st.ordered) {
      const lq = this.lastQ
      st.ordered = q > lq || (q === lq && (r > this.lastR || (r === this.lastR &&
        (cpu > this.lastCpu || (cpu === this.lastCpu && seq >= this.lastSeq)))))
    }
    this.lastQ = q
    this.lastR = r
    this.lastCpu = cpu
    this.lastSeq = seq
    this.n += 1
    st.rows += 1
    st.bytes += bytes
    this.stagedBytes += bytes
    if (st.bytes >= this.maxFileBytes) this.sealPending = true
  }

  // ---- staging ----

  private newStage (): Stage {
    return { id: this.nextStageId++, rows: 0, bytes: 0, hour: 0, qStart: 0, firstRowAt: 0, ordered: true, firstCh: 0, lastCh: 0 }
  }

  /** Appends the chunk's rows to the staging table (through the appender's buffer). */
  private flushChunk (): void {
    const n = this.n
    if (n === 0) return
    this.stageArray.fill(this.cur.id, 0, n)
    this.chArray.fill(this.channelIndex, 0, n)
    for (const { index, array } of this.numeric) {
      duckdb.copy_data_to_vector(this.vectors[index]!, 0, array.buffer as ArrayBuffer, array.byteOffset, n * array.BYTES_PER_ELEMENT)
    }
    this.chunk.rowCount = n
    this.appender.appendDataChunk(this.chunk)
    this.chunk.reset()
    this.n = 0
  }

  /** Ends the current stage: its rows are committed to the table and it joins the publish queue. */
  private seal (): void {
    this.flushChunk()
    this.appender.flushSync()
    const st = this.cur
    if (st.rows > 0) {
      st.lastCh = this.channelIndex
      this.sealed.push(st)
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

  publishAll (): Promise<Published[]> {
    this.checkOpen()
    if (this.cur.rows > 0) this.seal()
    return this.publishSealed()
  }

  async close (): Promise<Published[]> {
    this.checkOpen()
    const published = await this.publishAll()
    this.closed = true
    this.appender.closeSync()
    await this.queryConn.run(`DROP TABLE IF EXISTS ${this.table}`)
    this.appendConn.closeSync()
    this.queryConn.closeSync()
    if (this.ownsInstance) this.instance.closeSync()
    return published
  }

  private checkOpen (): void {
    if (this.closed) throw new Error('archive: writer is closed')
  }

  /** Publishes the stages sealed so far, in order (publisher.ts). */
  private publishSealed (): Promise<Published[]> {
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
