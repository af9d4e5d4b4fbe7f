// The `records` dataset writer. append() is the hot path: it checks ranges, writes the
// row's numbers into typed arrays and its strings/bytes into the DuckDB chunk, and
// allocates nothing (no BigInt, no objects). See stager.ts for staging, publisher.ts for publishing.

import duckdb from '@duckdb/node-bindings'
import { DatasetWriter } from './dataset-writer.ts'
import { Stager } from './stager.ts'
import { recordsSelect, RECORDS_STAGING } from './sql.ts'
import { isMonoHalves, utcQ } from './time.ts'
import type { RecordRow, StagerHooks, WriterOptions } from './types.ts'

/** Bytes counted per row besides payload and comm (the wire header size). */
export const ROW_OVERHEAD_BYTES = 48
const MAX_SEQ = Number.MAX_SAFE_INTEGER
const EMPTY = new Uint8Array(0)

export const RECORDS_SPEC = {
  dataset: 'records',
  columns: RECORDS_STAGING,
  select: recordsSelect,
  orderBy: 'ts, cpu, seq',
  timeHi: 'ts_hi',
  timeLo: 'ts_lo',
  rawMaxSeqSql: 'seq',
} as const

export class RecordsWriter extends DatasetWriter {
  private readonly tsHi: Uint32Array
  private readonly tsLo: Uint32Array
  private readonly cpu: Int32Array
  private readonly seq: Float64Array
  private readonly level: Uint8Array
  private readonly type: Uint16Array
  private readonly ctx: Uint8Array
  private readonly pk: Uint8Array
  private readonly pid: Int32Array
  private readonly commVec: duckdb.Vector
  private readonly payloadVec: duckdb.Vector

  private constructor (s: Stager) {
    super(s)
    this.tsHi = s.array('ts_hi') as Uint32Array
    this.tsLo = s.array('ts_lo') as Uint32Array
    this.cpu = s.array('cpu') as Int32Array
    this.seq = s.array('seq') as Float64Array
    this.level = s.array('level') as Uint8Array
    this.type = s.array('type') as Uint16Array
    this.ctx = s.array('ctx') as Uint8Array
    this.pk = s.array('pk') as Uint8Array
    this.pid = s.array('pid') as Int32Array
    this.commVec = s.vector('comm')
    this.payloadVec = s.vector('payload')
  }

  static async open (opts: WriterOptions, hooks?: StagerHooks): Promise<RecordsWriter> {
    return new RecordsWriter(await Stager.open(RECORDS_SPEC, opts, hooks))
  }

  /**
   * Stages one record. Throws (and takes nothing) when the time does not fit the archive
   * (`tsHi` >= 2^31, or UTC time beyond 2262-04-11), when `seq` is not 0..2^53-1, when
   * no channel is set, or StagingFullError when maxStagedBytes are waiting to be published.
   * May seal the current file (hour change, or maxFileBytes reached by the previous row).
   */
  append (row: RecordRow): void {
    const s = this.s
    const hi = row.tsHi
    const lo = row.tsLo
    // UTC = mono + offset as q = floor(UTC / 4096), -1 when out of range (time.ts)
    const q = utcQ(hi, lo, s.offQ, s.offR)
    const seq = row.seq
    if (
      !isMonoHalves(hi, lo) ||
      q < 0 ||
      !(seq >= 0 && seq <= MAX_SEQ && Number.isInteger(seq))
    ) {
      throw new RangeError(
        `archive: record cpu ${row.cpu} seq ${seq} has ts ${hi}:${lo} or seq out of the archive's range`
      )
    }
    const kind = row.kind
    const msg = row.msg
    const data = row.data
    const comm = row.comm
    let pk: number
    let bytes: number
    if (kind === 1) {
      pk = 1
      bytes = msg === null ? 0 : msg.length
    } else if (kind === 2 || data !== null) {
      pk = 2
      bytes = data === null ? 0 : data.byteLength
    } else if (msg !== null) {
      pk = 1
      bytes = msg.length
    } else {
      pk = 0
      bytes = 0
    }
    bytes += ROW_OVERHEAD_BYTES + comm.length

    const i = s.beginRow(q, bytes)
    this.tsHi[i] = hi
    this.tsLo[i] = lo
    this.cpu[i] = row.cpu
    this.seq[i] = seq
    this.level[i] = row.level
    this.type[i] = row.type
    this.ctx[i] = row.ctx
    this.pk[i] = pk
    this.pid[i] = row.pid
    duckdb.vector_assign_string_element(this.commVec, i, comm)
    if (pk === 1) duckdb.vector_assign_string_element(this.payloadVec, i, msg === null ? '' : msg)
    else duckdb.vector_assign_string_element_len(this.payloadVec, i, pk === 2 && data !== null ? data : EMPTY)
    s.endRow(bytes)
  }
}
