// Stand-in (replaced at merge by the real JSON format): one JSON object per record, loss and skip.
import type { LossRow } from '../../collector/archive/types.ts'
import { levelName, typeName } from '../../formats/archive-schema.ts'
import {
  recordCommOffset, recordKind, recordLen, recordLevel, recordPad, recordPayloadOffset, recordPid, recordSeq, recordTsHi, recordTsLo, recordType,
} from '../../formats/record.ts'
import { u64ToBigInt } from '../../formats/u64.ts'
import { COMM_LEN, KIND_TEXT } from '../../formats/wire.ts'
import type { ChannelInfo } from './lines.ts'

function bytes (view: DataView, start: number, end: number): Buffer {
  return Buffer.from(view.buffer, view.byteOffset + start, end - start)
}

/** The payload as text (stand-in helper). */
export function recordText (view: DataView, off: number): string {
  return bytes(view, recordPayloadOffset(off), off + recordLen(view, off) - recordPad(view, off)).toString('utf8')
}

function comm (view: DataView, off: number): string {
  const b = bytes(view, recordCommOffset(off), recordCommOffset(off) + COMM_LEN)
  const nul = b.indexOf(0)
  return b.toString('utf8', 0, nul < 0 ? COMM_LEN : nul)
}

function rfc3339 (mono: bigint, ch: ChannelInfo): string {
  const ns = mono + ch.monoToRealtimeNs
  const s = new Date(Number(ns / 1000000n)).toISOString().slice(0, 19)
  return `${s}.${(ns % 1000000000n).toString().padStart(9, '0')}Z`
}

export function recordJson (view: DataView, off: number, cpu: number, ch: ChannelInfo): string {
  const mono = u64ToBigInt(recordTsHi(view, off), recordTsLo(view, off))
  const text = recordKind(view, off) === KIND_TEXT
  const payload = bytes(view, recordPayloadOffset(off), off + recordLen(view, off) - recordPad(view, off))
  return JSON.stringify({
    ts: rfc3339(mono, ch),
    mono_ns: mono.toString(),
    cpu,
    seq: recordSeq(view, off),
    level: levelName(recordLevel(view, off)),
    type: typeName(recordType(view, off)),
    pid: recordPid(view, off) | 0,
    comm: comm(view, off),
    msg: text ? payload.toString('utf8') : null,
    data: text ? null : payload.toString('base64'),
    channel_id: ch.channelId,
  })
}

export function lossJson (row: LossRow, ch: ChannelInfo): string {
  return JSON.stringify({
    event: row.reason === 'reload' ? 'reload' : 'loss',
    cpu: row.cpu,
    first_seq: row.firstSeq,
    count: row.count,
    reason: row.reason,
    ts_from: rfc3339(u64ToBigInt(row.fromHi, row.fromLo), ch),
    ts_to: rfc3339(u64ToBigInt(row.toHi, row.toLo), ch),
    channel_id: ch.channelId,
  })
}

export function skippedJson (count: number): string {
  return JSON.stringify({ event: 'skipped', count })
}
