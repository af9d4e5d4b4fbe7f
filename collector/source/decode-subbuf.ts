// One complete sub-buffer as the consumer hands it on: its header checked, its records
// walked and validated, its losses and any fault described. Shared by the live reader
// and the replay of a spool, so both judge a sub-buffer by the same rules.
import { SUBBUF_HDR_SIZE } from '../../formats/wire.ts'
import { dataView } from '../../formats/bytes.ts'
import { HEADER_OK, HEADER_STATUS_NAMES, type SubbufHeader } from '../../formats/subbuf-header.ts'
import { RECORD_OK, RECORD_STATUS_NAMES, type RecordView } from '../../formats/record.ts'
import { skipCorruptSubbuf, walkSubbuf, type LossEvent, type SeqState } from './records.ts'

export interface SubbufFault {
  where: 'header' | 'record'
  /** HEADER_* or RECORD_* status */
  status: number
  description: string
  /** offset in `bytes` of the bad record; 0 for a bad header */
  offset: number
}

/** A complete sub-buffer, handed on before it is acknowledged. */
export interface CompleteSubbuf {
  cpu: number
  /** sub-buffer sequence number */
  seq: number
  /**
   * Header and committed record bytes: a view of the mapping, valid only until the
   * onSubbuf callback (or the promise it returns) settles, since the ack that follows lets
   * the kernel reuse the slot. Copy what must outlive it.
   */
  bytes: Buffer
  /** the same bytes as a DataView, for readRecord and forEachRecord */
  view: DataView
  header: SubbufHeader
  /** good records lie in bytes[recordsStart, recordsEnd); walk them with forEachRecord */
  recordsStart: number
  recordsEnd: number
  records: number
  /** seq of the first and last good record, 0 if none */
  firstRecordSeq: number
  lastRecordSeq: number
  losses: LossEvent[]
  fault: SubbufFault | null
  /** W(cpu) from the stats read before this pass (PROTOCOL.md §4) */
  watermarkHi: number
  watermarkLo: number
}

/**
 * Describes sub-buffer `seq` of `cpu`. `header` was read from `bytes` and `status` is its
 * checkSubbufHeader result (HEADER_BAD_VERSION excluded: that stops the consumer). `bytes`
 * holds the header and, when the header is good, the committed bytes.
 */
export function decodeSubbuf (
  cpu: number, seq: number, bytes: Buffer, header: SubbufHeader, status: number,
  state: SeqState, rec: RecordView, watermarkHi: number, watermarkLo: number
): CompleteSubbuf {
  const view = dataView(bytes)
  if (status !== HEADER_OK) {
    skipCorruptSubbuf(state)
    return {
      cpu,
      seq,
      bytes,
      view,
      header: { ...header },
      recordsStart: SUBBUF_HDR_SIZE,
      recordsEnd: SUBBUF_HDR_SIZE,
      records: 0,
      firstRecordSeq: 0,
      lastRecordSeq: 0,
      losses: [],
      fault: { where: 'header', status, description: HEADER_STATUS_NAMES[status] ?? 'unknown', offset: 0 },
      watermarkHi,
      watermarkLo,
    }
  }
  const walk = walkSubbuf(view, header, state, rec)
  return {
    cpu,
    seq,
    bytes,
    view,
    header: { ...header },
    recordsStart: SUBBUF_HDR_SIZE,
    recordsEnd: walk.validEnd,
    records: walk.records,
    firstRecordSeq: walk.firstSeq,
    lastRecordSeq: walk.lastSeq,
    losses: walk.losses,
    fault: walk.status === RECORD_OK
      ? null
      : {
          where: 'record', status: walk.status, description: RECORD_STATUS_NAMES[walk.status] ?? 'unknown', offset: walk.faultOffset,
        },
    watermarkHi,
    watermarkLo,
  }
}
