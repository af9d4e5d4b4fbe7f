// The record at an offset, read for printing: its header through formats/record.ts's
// readRecord into one reused view, and comm, text and payload on request. Both the text
// lines and the JSON lines read records this way, so both show the same fields.
import { createRecordView, readRecord, recordComm, recordPayload, recordText, RECORD_OK, RECORD_STATUS_NAMES, type RecordView } from '../../formats/record.ts'
import { KIND_TEXT } from '../../formats/wire.ts'

export interface Decoded {
  /** valid until the next decode */
  readonly rec: RecordView
  /** the bytes of the view it was read from */
  readonly bytes: Buffer
}

const rec = createRecordView()
const decoded: { rec: RecordView, bytes: Buffer } = { rec, bytes: Buffer.alloc(0) }
let lastView: DataView | undefined

/**
 * Reads the record at `off` of `view` (reusing the result: valid until the next call).
 * Records reach `krelay tail` validated by the reader; one that is not valid is a bug
 * upstream, reported with readRecord's reason rather than printed as garbage.
 */
export function decodeRecord (view: DataView, off: number): Decoded {
  if (view !== lastView) {
    lastView = view
    decoded.bytes = Buffer.from(view.buffer, view.byteOffset, view.byteLength)
  }
  const status = readRecord(view, off, view.byteLength, rec)
  if (status !== RECORD_OK) throw new RangeError(`record at offset ${off}: ${RECORD_STATUS_NAMES[status] ?? status}`)
  return decoded
}

/** Text records carry a message; every other kind a payload, as in the archive. */
export function isText (d: Decoded): boolean {
  return d.rec.kind === KIND_TEXT
}

/** comm as the archive has it: UTF-8 up to its first NUL, all 16 bytes when there is none. */
export function commOf (d: Decoded): string {
  return recordComm(d.bytes, d.rec)
}

/** The message of a text record, exactly as the kernel wrote it (a trailing newline included). */
export function textOf (d: Decoded): string {
  return recordText(d.bytes, d.rec)
}

/** The payload bytes (a view into the record's buffer, no copy). */
export function payloadOf (d: Decoded): Buffer {
  return recordPayload(d.bytes, d.rec)
}

/** pid as the archive stores it (its INTEGER column: the u32 read as signed). */
export function pidOf (d: Decoded): number {
  return d.rec.pid | 0
}
