// The text lines of `krelay tail`, one per record, loss or skip, laid out for someone
// used to `dmesg -w` and `journalctl -f`:
//
//   2026-11-30T06:21:07.123456789Z cpu3  err     kworker/3:1[212]: disk on fire
//   2026-11-30T06:21:07.123456789Z -- 1,204 records lost on cpu 3: kernel buffer full --
//   2026-11-30T06:21:07.123457789Z cpu2  info    krelay[4711]: [gen, 16 bytes] 01 00 00 00 00 00 00 00 02 00 00 00 07 00 00 00
//   -- 48,112 records skipped: this terminal could not keep up --
//
// (formats/JSON-LINES.md shows the same stream as JSON lines.) Time, then the CPU and the
// level padded so that messages line up, `comm[pid]:` as journalctl shows a process.
// Nothing from the record reaches the terminal unescaped (visible.ts); color codes come
// only from color.ts, and only when opts.color is set.
import { levelName, typeName, type LossReason } from '../../formats/archive-schema.ts'
import { LEVEL_NAMES } from '../../formats/wire.ts'
import type { LossRow } from '../../collector/archive/types.ts'
import { levelSgr, paint, SGR_LOSS, SGR_RELOAD, SGR_SKIPPED, SGR_TIME } from './color.ts'
import { commOf, decodeRecord, isText, payloadOf, pidOf, textOf } from './decode.ts'
import { timeText, type ChannelInfo, type TimeMode } from './time.ts'
import { grouped, hexPreview, visible } from './visible.ts'

export type { ChannelInfo, TimeMode } from './time.ts'

export interface LineOptions { readonly time: TimeMode, readonly color: boolean }

/** Level names padded to the longest (`warning`), so messages line up. */
const LEVEL_WIDTH = Math.max(...LEVEL_NAMES.map((n) => n.length))

/** What each reason means to someone watching (ARCHIVE.md has the exact definitions). */
const LOSS_TEXT: Readonly<Record<Exclude<LossReason, 'reload'>, string>> = {
  dropped: 'kernel buffer full',
  corrupt: 'damaged in the capture',
  collector: 'the collector could not store them',
}

/** `1 record` or `1,204 records`. */
function records (n: number): string {
  return `${grouped(n)} ${n === 1 ? 'record' : 'records'}`
}

function timePart (hi: number, lo: number, ch: ChannelInfo, opts: LineOptions): string {
  const t = timeText(hi, lo, ch, opts.time)
  return opts.color ? paint(SGR_TIME, t) : t
}

/** The message of a text record: its trailing newline removed, control characters escaped. */
function message (text: string): string {
  return visible(text.endsWith('\n') ? text.slice(0, -1) : text)
}

/** A binary record: its type, its length and its first bytes, `[gen, 24 bytes] 01 00 00 …`. */
function binarySummary (type: number, payload: Uint8Array): string {
  const head = `[${typeName(type)}, ${grouped(payload.length)} ${payload.length === 1 ? 'byte' : 'bytes'}]`
  return payload.length === 0 ? head : `${head} ${hexPreview(payload)}`
}

/** One text line (no trailing newline) for the record at `off` in `view` (formats/record.ts layout, PROTOCOL.md §3.2) of CPU `cpu`. */
export function recordLine (view: DataView, off: number, cpu: number, ch: ChannelInfo, opts: LineOptions): string {
  const d = decodeRecord(view, off)
  const level = levelName(d.rec.level)
  const body = isText(d) ? message(textOf(d)) : binarySummary(d.rec.type, payloadOf(d))
  const sgr = opts.color ? levelSgr(d.rec.level) : ''
  // padded outside the color, so that emerg's red background ends with the name
  return `${timePart(d.rec.tsHi, d.rec.tsLo, ch, opts)} ${`cpu${cpu}`.padEnd(5)} ` +
    `${paint(sgr, level)}${' '.repeat(LEVEL_WIDTH - level.length + 1)}${visible(commOf(d))}[${pidOf(d)}]: ${paint(sgr, body)}`
}

/** What a reload row tells: the CPU's stream of that channel ended, and where. */
function reloadText (row: LossRow, ch: ChannelInfo): string {
  const last = row.firstSeq - 1
  const end = last > 0 ? `ended after seq ${grouped(last)}` : 'ended before its first record'
  return `-- module unloaded: cpu ${row.cpu}'s stream of channel ${visible(ch.channelId)} ${end} --`
}

/** A loss (LossRow from collector/archive/types.ts; reason 'reload' is a module reload) as a line, at the time the gap starts. */
export function lossLine (row: LossRow, ch: ChannelInfo, opts: LineOptions): string {
  const time = timePart(row.fromHi, row.fromLo, ch, opts)
  if (row.reason === 'reload') return `${time} ${paint(opts.color ? SGR_RELOAD : '', reloadText(row, ch))}`
  const text = `-- ${records(row.count)} lost on cpu ${row.cpu}: ${LOSS_TEXT[row.reason]} --`
  return `${time} ${paint(opts.color ? SGR_LOSS : '', text)}`
}

/** Records this subscriber did not get because it could not keep up. */
export function skippedLine (count: number, opts: LineOptions): string {
  return paint(opts.color ? SGR_SKIPPED : '', `-- ${records(count)} skipped: this terminal could not keep up --`)
}
