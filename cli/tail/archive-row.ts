// An archive row as `krelay tail` prints it: a `records` row is turned back into the wire
// record it was (formats/record.ts layout) in one reused buffer, so that the live filter
// (collector/live/filter.ts) and the line formatters (lines.ts, json.ts) see exactly what
// they see in live mode; a `losses` row into the LossRow they print.
import { LOSS_REASONS, TYPE_NAMES, type LossReason } from '../../formats/archive-schema.ts'
import { dataView } from '../../formats/bytes.ts'
import { writeRecord, type RecordFields } from '../../formats/record.ts'
import { u64FromBigInt } from '../../formats/u64.ts'
import { CTX_NAMES, KIND_BINARY, KIND_TEXT, LEVEL_NAMES, RECORD_HDR_SIZE } from '../../formats/wire.ts'
import type { LossRow } from '../../collector/archive/types.ts'

/** The columns read from a `records` file (offline/archive-scan.ts), in this order (ts_ns: UTC ns since the epoch). */
export const RECORD_SELECT = 'ts_ns, mono_ns, cpu, seq, level, type, ctx, pid, comm, msg, data, channel_id'
/** The columns read from a `losses` file, in this order. */
export const LOSS_SELECT = 'ts_from_ns, ts_to_ns, cpu, first_seq, count, reason, channel_id'

export type RecordTuple = [bigint, bigint, number, bigint, string, string, string, number, string, string | null, Uint8Array | null, string]
export type LossTuple = [bigint, bigint, number, bigint, bigint, string, string]

const TYPE_BY_NAME = new Map([...TYPE_NAMES].map(([n, name]) => [name, n]))

/** The inverse of archive-schema.ts typeName: `gen` → 0xff01, `0x0102` → 0x0102. */
export function typeCode (name: string): number {
  return TYPE_BY_NAME.get(name) ?? Number.parseInt(name.slice(2), 16)
}

/** The inverse of levelName and ctxName: a name's index, or the decimal number written for other values. */
export function codeOf (names: readonly string[], name: string): number {
  const i = names.indexOf(name)
  return i >= 0 ? i : Number(name)
}

/** A wire record rebuilt from a `records` row, in a buffer reused from one row to the next. */
export class WireRecord {
  private buf = Buffer.alloc(4096)
  view = dataView(this.buf)
  private readonly fields: RecordFields = { type: 0, kind: 0, level: 0, seq: 0, tsHi: 0, tsLo: 0, pid: 0, ctx: 0, comm: '' }

  /** Writes the row's record at offset 0 of `view`. */
  write (row: RecordTuple): void {
    const f = this.fields
    const [, mono, , seq, level, type, ctx, pid, comm, msg, data] = row
    const ts = u64FromBigInt(mono)
    f.tsHi = ts.hi
    f.tsLo = ts.lo
    f.seq = Number(seq)
    f.level = codeOf(LEVEL_NAMES, level)
    f.type = typeCode(type)
    f.ctx = codeOf(CTX_NAMES, ctx)
    f.pid = pid
    f.comm = comm
    // the archive keeps a text record's message in msg, any other's payload in data
    f.kind = msg !== null ? KIND_TEXT : KIND_BINARY
    const payload = msg !== null ? Buffer.from(msg, 'utf8') : (data ?? new Uint8Array(0))
    if (this.buf.length < RECORD_HDR_SIZE + payload.length + 8) {
      this.buf = Buffer.alloc(2 * (RECORD_HDR_SIZE + payload.length + 8))
      this.view = dataView(this.buf)
    }
    writeRecord(this.buf, 0, f, payload)
  }
}

/**
 * A `losses` row as the LossRow lines.ts and json.ts print. The archive keeps a loss's
 * times in UTC only; `offset` is its channel's mono_to_realtime_ns (from a record of that
 * channel; 0 when none was read, then `--time mono` shows UTC seconds).
 */
export function lossRowOf (row: LossTuple, offset: bigint): LossRow {
  const [from, to, cpu, firstSeq, count, reason] = row
  const f = u64FromBigInt(from - offset)
  const t = u64FromBigInt(to - offset)
  return {
    cpu,
    firstSeq: Number(firstSeq),
    count: Number(count),
    fromHi: f.hi,
    fromLo: f.lo,
    toHi: t.hi,
    toLo: t.lo,
    reason: (LOSS_REASONS as readonly string[]).includes(reason) ? reason as LossReason : 'collector',
  }
}
