// Real records for the tail format tests: written with formats/record.ts writeRecord into
// one buffer, one after the other, as the collector would hand them over.
import { dataView } from '../../../formats/bytes.ts'
import { writeRecord, type RecordFields } from '../../../formats/record.ts'
import { u64FromBigInt } from '../../../formats/u64.ts'
import { CTX_TASK, KIND_BINARY, KIND_TEXT, LEVEL_INFO, TYPE_TEXT } from '../../../formats/wire.ts'
import type { LossRow } from '../../../collector/archive/types.ts'
import type { ChannelInfo } from '../../../cli/tail/lines.ts'

/** A record to write: header fields (else defaults), monotonic ns, payload (bytes: a binary record). */
export interface TestRecord extends Partial<Omit<RecordFields, 'tsHi' | 'tsLo'>> {
  mono?: bigint
  payload?: string | Uint8Array
}

/** 2026-11-30T06:21:07.123456789Z is at monotonic 123.456789012 s on this channel. */
export const MONO = 123_456_789_012n
export const UTC = BigInt(Date.UTC(2026, 10, 30, 6, 21, 7)) * 1_000_000n + 123_456_789n
export const CH: ChannelInfo = { channelId: '9f3c2a71d04b5e86', monoToRealtimeNs: UTC - MONO }

/** A channel whose offset puts monotonic `mono` at UTC ns `utc`. */
export function channelAt (mono: bigint, utc: bigint): ChannelInfo {
  return { channelId: CH.channelId, monoToRealtimeNs: utc - mono }
}

/** Writes the records into one buffer; returns its view and each record's offset. */
export function writeRecords (records: readonly TestRecord[]): { view: DataView, offs: number[] } {
  const buf = Buffer.alloc(records.reduce((n, r) => n + 64 + Buffer.byteLength(r.payload ?? '') + 8, 8), 0xee)
  const offs: number[] = []
  let off = 8 // not at 0: the formatters must honour the offset
  for (const r of records) {
    const ts = u64FromBigInt(r.mono ?? MONO)
    const binary = r.payload !== undefined && typeof r.payload !== 'string'
    const payload = typeof r.payload === 'string' || r.payload === undefined ? Buffer.from(r.payload ?? 'hello') : r.payload
    const fields: RecordFields = {
      type: TYPE_TEXT,
      kind: binary ? KIND_BINARY : KIND_TEXT,
      level: LEVEL_INFO,
      seq: 1,
      pid: 212,
      ctx: CTX_TASK,
      comm: 'kworker/3:1',
      ...r,
      tsHi: ts.hi,
      tsLo: ts.lo,
    }
    offs.push(off)
    off += writeRecord(buf, off, fields, payload)
  }
  return { view: dataView(buf), offs }
}

/** The view and offset of a single record. */
export function oneRecord (r: TestRecord): [DataView, number] {
  const { view, offs } = writeRecords([r])
  return [view, offs[0]!]
}

/** A loss row at MONO .. MONO + 1 ms (on CH: 06:21:07.123456789 .. .124456789). */
export function lossRow (over: Partial<LossRow> = {}): LossRow {
  const from = u64FromBigInt(MONO)
  const to = u64FromBigInt(MONO + 1_000_000n)
  return { cpu: 3, firstSeq: 5001, count: 1204, fromHi: from.hi, fromLo: from.lo, toHi: to.hi, toLo: to.lo, reason: 'dropped', ...over }
}

/** Any control character a terminal acts on (C0 but tab, DEL, C1). */
// eslint-disable-next-line no-control-regex
export const CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/

/** A colored line without its SGR sequences. */
// eslint-disable-next-line no-control-regex
export function stripSgr (line: string): string { return line.replace(/\x1b\[[0-9;]*m/g, '') }
