// The JSON lines of `krelay tail --json` (formats/JSON-LINES.md): one object per line, a
// record with the archive's column names and values (formats/archive-schema.ts), a loss
// or reload with the losses dataset's columns after an `event`, a skip with its count.
// A time is one exact RFC 3339 string where the archive has a microsecond timestamp and
// its nanoseconds (`ts` and `ts_nanos`), and a record has the kernel's `mono_ns` where
// the archive has `mono_offset_ns` (both give the same: mono_ns = UTC ns - offset).
// The field lists below are the one definition; test/cli/tail/json.test.ts checks that
// JSON-LINES.md shows them verbatim and that the lines have exactly these keys, in order.
import {
  ctxName, levelName, LOSSES_COLUMNS, RECORDS_COLUMNS, typeName, type ArchiveColumn, type LossesColumnName,
  type RecordsColumnName,
} from '../../formats/archive-schema.ts'
import { u64ToDecimal } from '../../formats/u64.ts'
import type { LossRow } from '../../collector/archive/types.ts'
import { commOf, decodeRecord, isText, payloadOf, pidOf, textOf } from './decode.ts'
import { utcNs, utcText, type ChannelInfo } from './time.ts'
import { jsonVisible } from './visible.ts'

export type JsonType = 'string' | 'number' | 'string or null'

export interface JsonField {
  readonly name: string
  readonly type: JsonType
  readonly meaning: string
}

/** The meaning ARCHIVE.md gives a column, for fields whose value is the archive's. */
function archiveMeaning (columns: readonly ArchiveColumn[], name: string): string {
  const column = columns.find((c) => c.name === name)
  if (column === undefined) throw new Error(`no archive column ${name}`)
  return column.meaning
}

const TS = 'RFC 3339 UTC with exactly 9 fractional digits, `2026-11-30T06:21:07.123456789Z`'
const record = (name: RecordsColumnName): string => archiveMeaning(RECORDS_COLUMNS, name)
const loss = (name: LossesColumnName): string => archiveMeaning(LOSSES_COLUMNS, name)

/** A record line's fields: the archive's, the exact time in `ts`, the kernel's time instead of its offset. */
export type RecordFieldName = Exclude<RecordsColumnName, 'ts_nanos' | 'mono_offset_ns'> | 'mono_ns'
/** A loss line's fields besides `event`: the archive's, each time exact in one field. */
export type LossFieldName = Exclude<LossesColumnName, 'ts_from_nanos' | 'ts_to_nanos'>

/** A record line: the archive's `records` columns, in their order. */
export const RECORD_FIELDS: readonly JsonField[] = [
  { name: 'ts', type: 'string', meaning: `${TS}: the archive's \`ts\` with its \`ts_nanos\`, \`mono_ns\` plus the channel's \`mono_to_realtime_ns\` (PROTOCOL.md §2)` },
  {
    name: 'mono_ns',
    type: 'string',
    meaning: 'the record\'s `ts` as the kernel wrote it, `CLOCK_MONOTONIC` nanoseconds since boot, in decimal: a string, as it passes 2^53 (where JSON numbers stop being exact in most readers) after 104 days of uptime',
  },
  { name: 'cpu', type: 'number', meaning: record('cpu') },
  {
    name: 'seq',
    type: 'number',
    meaning: 'record sequence number on that CPU, 1 for the first record after a module load; a gap is a loss, which a loss line reports. Below 2^53, so exact as a number',
  },
  { name: 'level', type: 'string', meaning: record('level') },
  { name: 'type', type: 'string', meaning: record('type') },
  { name: 'ctx', type: 'string', meaning: record('ctx') },
  { name: 'pid', type: 'number', meaning: record('pid') },
  { name: 'comm', type: 'string', meaning: `${record('comm')}, decoded as UTF-8 up to its first NUL` },
  {
    name: 'msg',
    type: 'string or null',
    meaning: 'the message of a text record exactly as the kernel wrote it (a trailing newline stays), as in the archive; null for binary records',
  },
  { name: 'data', type: 'string or null', meaning: 'the payload of a binary record in base64 (RFC 4648, with padding), whose meaning is given by `type`; null for text records' },
  { name: 'channel_id', type: 'string', meaning: record('channel_id') },
]

/** The meaning of a loss time without the archive's note on its microseconds and file order. */
function lossTime (name: 'ts_from' | 'ts_to'): string {
  return loss(name).replace(/^UTC, floored to the microsecond; /, '').replace(/\. Files are sorted by .*$/, '')
}

/** A loss or reload line: `event`, then the archive's `losses` columns, in their order. */
export const LOSS_FIELDS: readonly JsonField[] = [
  { name: 'event', type: 'string', meaning: '`loss`, or `reload` for a row of reason `reload` (the module was unloaded: this CPU\'s stream of the channel ended)' },
  { name: 'cpu', type: 'number', meaning: loss('cpu') },
  { name: 'first_seq', type: 'number', meaning: loss('first_seq') },
  { name: 'count', type: 'number', meaning: `${loss('count')}; 0 for \`reload\`` },
  { name: 'ts_from', type: 'string', meaning: `${TS}; ${lossTime('ts_from')}` },
  { name: 'ts_to', type: 'string', meaning: `${TS}; ${lossTime('ts_to')}` },
  { name: 'reason', type: 'string', meaning: loss('reason').replace('see "What a loss row means"', 'see ARCHIVE.md, "What a loss row means"') },
  { name: 'channel_id', type: 'string', meaning: loss('channel_id') },
]

/** A skipped line. */
export const SKIPPED_FIELDS: readonly JsonField[] = [
  { name: 'event', type: 'string', meaning: '`skipped`' },
  {
    name: 'count',
    type: 'number',
    meaning: 'how many records the collector did not send to this subscriber because it fell behind (they are archived all the same); they come before the next line',
  },
]

/** The Markdown table JSON-LINES.md shows for a kind of line (kept verbatim there; a test compares). */
export function fieldsMarkdown (fields: readonly JsonField[]): string {
  const lines = ['| field | JSON type | meaning |', '|---|---|---|']
  for (const f of fields) lines.push(`| \`${f.name}\` | ${f.type} | ${f.meaning} |`)
  return lines.join('\n')
}

/** The JSON line (no trailing newline) of the record at `off` in `view` of CPU `cpu`. */
export function recordJson (view: DataView, off: number, cpu: number, ch: ChannelInfo): string {
  const d = decodeRecord(view, off)
  const { tsHi, tsLo } = d.rec
  const text = isText(d)
  const line = {
    ts: utcText(utcNs(tsHi, tsLo, ch)),
    mono_ns: u64ToDecimal(tsHi, tsLo),
    cpu,
    seq: d.rec.seq,
    level: levelName(d.rec.level),
    type: typeName(d.rec.type),
    ctx: ctxName(d.rec.ctx),
    pid: pidOf(d),
    comm: commOf(d),
    msg: text ? textOf(d) : null,
    data: text ? null : payloadOf(d).toString('base64'),
    channel_id: ch.channelId,
  } satisfies Record<RecordFieldName, unknown>
  return jsonVisible(JSON.stringify(line))
}

/** The JSON line of a loss, or of a module reload (reason `reload`). */
export function lossJson (row: LossRow, ch: ChannelInfo): string {
  const line = {
    event: row.reason === 'reload' ? 'reload' : 'loss',
    cpu: row.cpu,
    first_seq: row.firstSeq,
    count: row.count,
    ts_from: utcText(utcNs(row.fromHi, row.fromLo, ch)),
    ts_to: utcText(utcNs(row.toHi, row.toLo, ch)),
    reason: row.reason,
    channel_id: ch.channelId,
  } satisfies Record<LossFieldName | 'event', unknown>
  return jsonVisible(JSON.stringify(line))
}

/** The JSON line of records this subscriber did not get because it could not keep up. */
export function skippedJson (count: number): string {
  return JSON.stringify({ event: 'skipped', count })
}
