// The `records` dataset writer. append() and appendRecord() are the hot path: they check
// ranges, write the row's numbers into typed arrays and its strings/bytes into byte
// columns, and allocate nothing (no BigInt, no objects). appendRecord() takes a record as
// the kernel wrote it (PROTOCOL.md §3.2) and stages comm and payload as the bytes they
// are: no JS string is made only to be encoded back into the same UTF-8.
// See stager.ts for staging, publisher.ts for publishing.

import {
  recordCommOffset, recordCtx, recordKind, recordLen, recordLevel, recordPad, recordPayloadOffset, recordPid, recordSeq,
  recordTsHi, recordTsLo, recordType,
} from '../../formats/record.ts'
import { RECORDS_COLUMNS, RECORDS_SORT_KEY } from '../../formats/archive-schema.ts'
import { COMM_LEN, KIND_TEXT } from '../../formats/wire.ts'
import { DatasetWriter } from './dataset-writer.ts'
import type { ByteColumn } from './plain-parquet.ts'
import { Stager } from './stager.ts'
import { isUtf8 } from './utf8.ts'
import { recordsSelect, RECORDS_STAGING } from './sql.ts'
import { isMonoHalves, utcQ, utcR } from './time.ts'
import type { RecordRow, StagerHooks, WriterOptions } from './types.ts'

/** Bytes counted per row besides payload and comm (the wire header size). */
export const ROW_OVERHEAD_BYTES = 48
const MAX_SEQ = Number.MAX_SAFE_INTEGER
const EMPTY = new Uint8Array(0)

export const RECORDS_SPEC = {
  dataset: 'records',
  columns: RECORDS_STAGING,
  select: recordsSelect,
  archiveColumns: RECORDS_COLUMNS,
  orderBy: RECORDS_SORT_KEY.join(', '),
  timeHi: 'ts_hi',
  timeLo: 'ts_lo',
  rawMaxSeqSql: 'seq',
} as const

export class RecordsWriter extends DatasetWriter {
  private readonly tsHi: Uint32Array
  private readonly tsLo: Uint32Array
  private readonly cpu: Int32Array
  private readonly seq: Float64Array
  private readonly level: Uint32Array
  private readonly type: Uint32Array
  private readonly ctx: Uint32Array
  private readonly pk: Uint32Array
  private readonly pid: Int32Array
  private readonly comm: ByteColumn
  private readonly payload: ByteColumn

  private constructor (s: Stager) {
    super(s)
    this.tsHi = s.array('ts_hi') as Uint32Array
    this.tsLo = s.array('ts_lo') as Uint32Array
    this.cpu = s.array('cpu') as Int32Array
    this.seq = s.array('seq') as Float64Array
    this.level = s.array('level') as Uint32Array
    this.type = s.array('type') as Uint32Array
    this.ctx = s.array('ctx') as Uint32Array
    this.pk = s.array('pk') as Uint32Array
    this.pid = s.array('pid') as Int32Array
    this.comm = s.bytes('comm')
    this.payload = s.bytes('payload')
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

    const k = s.key
    k[0] = q
    k[1] = utcR(lo, s.offR)
    k[2] = row.cpu
    k[3] = seq
    const i = s.beginRow(bytes)
    this.tsHi[i] = hi
    this.tsLo[i] = lo
    this.cpu[i] = row.cpu
    this.seq[i] = seq
    this.level[i] = row.level
    this.type[i] = row.type
    this.ctx[i] = row.ctx
    this.pk[i] = pk
    this.pid[i] = row.pid
    this.comm.appendString(comm)
    if (pk === 1) this.payload.appendString(msg === null ? '' : msg)
    else if (pk === 2 && data !== null) this.payload.append(data, 0, data.byteLength)
    else this.payload.append(EMPTY, 0, 0)
    s.endRow(bytes)
  }

  /**
   * Stages the record at `off` in `view`, which must have been validated (readRecord),
   * as `append` would stage it from RecordRowFiller's row (text records: msg, others:
   * data; comm up to its first NUL), with the same checks. The view may be reused or
   * unmapped once this returns.
   */
  appendRecord (view: DataView, off: number, cpu: number): void {
    const s = this.s
    const hi = recordTsHi(view, off)
    const lo = recordTsLo(view, off)
    const q = utcQ(hi, lo, s.offQ, s.offR)
    const seq = recordSeq(view, off)
    if (!isMonoHalves(hi, lo) || q < 0 || seq < 0) {
      throw new RangeError(
        `archive: record cpu ${cpu} seq ${seq} has ts ${hi}:${lo} or seq out of the archive's range`
      )
    }
    const commStart = recordCommOffset(off)
    let commEnd = commStart
    while (commEnd < commStart + COMM_LEN && view.getUint8(commEnd) !== 0) commEnd++
    const start = recordPayloadOffset(off)
    const end = off + recordLen(view, off) - recordPad(view, off)
    const pk = recordKind(view, off) === KIND_TEXT ? 1 : 2
    const bytes = end - start + ROW_OVERHEAD_BYTES + commEnd - commStart

    const k = s.key
    k[0] = q
    k[1] = utcR(lo, s.offR)
    k[2] = cpu
    k[3] = seq
    const i = s.beginRow(bytes)
    this.tsHi[i] = hi
    this.tsLo[i] = lo
    this.cpu[i] = cpu
    this.seq[i] = seq
    this.level[i] = recordLevel(view, off)
    this.type[i] = recordType(view, off)
    this.ctx[i] = recordCtx(view, off)
    this.pk[i] = pk
    this.pid[i] = recordPid(view, off)
    this.stageBytes(view, commStart, commEnd, start, end, pk === 1)
    s.endRow(bytes)
  }

  /**
   * comm and payload of appendRecord's row. A method of its own (small integers in, no
   * result) so that V8 inlines the time and seq arithmetic into appendRecord: a double
   * returned by a call that is not inlined is boxed, an allocation per record.
   * Bytes that are not UTF-8 go as the string Buffer#toString makes of them (U+FFFD for
   * each bad sequence), as the string path stores them: rare, and allowed to allocate.
   * (No Buffer of the view is made for the common, ASCII case: the merge hands over
   * records of every CPU in turn, so the view changes at almost every record.)
   */
  private stageBytes (
    view: DataView, commStart: number, commEnd: number, start: number, end: number, text: boolean
  ): void {
    if (this.comm.appendView(view, commStart, commEnd) >= 0x80) fixUtf8(this.comm, view, commStart, commEnd)
    if (this.payload.appendView(view, start, end) >= 0x80 && text) fixUtf8(this.payload, view, start, end)
  }
}

/** The value just appended to `col` from view[start, end) is not ASCII: unless it is UTF-8, it goes as the string it decodes to. */
function fixUtf8 (col: ByteColumn, view: DataView, start: number, end: number): void {
  const b = Buffer.from(view.buffer, view.byteOffset, view.byteLength)
  if (isUtf8(b, start, end)) return
  col.dropLast(end - start)
  col.appendString(b.toString('utf8', start, end))
}
