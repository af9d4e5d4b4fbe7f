// The records before the tail connected, for -n and --since: what the collector holds but
// has not published (its spool) and what it has (the archive), deduplicated by
// (channel_id, cpu, seq), filtered as the live stream is, in (ts, cpu, seq) order. Each
// record becomes a wire record (formats/record.ts) so that one path prints both history
// and live. Not a hot path: one small Buffer per record kept.
import type { LossRow } from '../../collector/archive/index.ts'
import type { LiveFilter } from '../../collector/live/filter.ts'
import { decodeSubbuf } from '../../collector/source/decode-subbuf.ts'
import { createSeqState, forEachRecord, type SeqState } from '../../collector/source/records.ts'
import { listSegments, readSegment } from '../../collector/spool/spool-reader.ts'
import { dataView } from '../../formats/bytes.ts'
import { createRecordView, recordSeq, recordTsHi, recordTsLo } from '../../formats/record.ts'
import { checkSubbufHeader, createSubbufHeader, HEADER_BAD_VERSION, readSubbufHeader } from '../../formats/subbuf-header.ts'
import { u64ToBigInt } from '../../formats/u64.ts'
import type { HistoryKey } from './seam.ts'
import type { ChannelInfo } from './time.ts'

export interface HistoryRecord extends HistoryKey {
  ch: ChannelInfo
  /** one wire record at offset 0 */
  view: DataView
  loss?: undefined
}

export interface HistoryLoss extends HistoryKey {
  ch: ChannelInfo
  /** sorted by ts_to (`mono`), as the live stream sends a loss before the first record at or after it */
  loss: LossRow
}

export type HistoryItem = HistoryRecord | HistoryLoss

export interface HistoryWindow {
  /** the last this many records (losses among them come along) */
  lines: number
  /** or (also) only records at or after this UTC ns */
  since?: bigint
  filter: LiveFilter
}

/** (ts, cpu, seq) order; a loss sorts before a record of the same ts. */
export function compareItems (a: HistoryItem, b: HistoryItem): number {
  if (a.mono !== b.mono) return a.mono < b.mono ? -1 : 1
  const al = a.loss === undefined ? 1 : 0
  const bl = b.loss === undefined ? 1 : 0
  if (al !== bl) return al - bl
  return a.cpu - b.cpu || a.seq - b.seq
}

/** Records of every spool segment that pass the filter and the window's --since. */
export function spoolRecords (dir: string, w: HistoryWindow): HistoryRecord[] {
  const out: HistoryRecord[] = []
  const header = createSubbufHeader()
  const rec = createRecordView()
  const seqStates = new Map<string, SeqState>()
  for (const file of listSegments(dir)) {
    let seg
    try {
      seg = readSegment(file)
    } catch (e) {
      // archived and deleted since it was listed: the archive, read next, has it
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw e
    }
    // a segment the collector is creating, its header not written whole yet: no records
    if (seg === null) continue
    const ch: ChannelInfo = { channelId: seg.meta.channelId, monoToRealtimeNs: BigInt(seg.meta.monoToRealtimeNs) }
    for (const { cpu, bytes } of seg.subbufs) {
      readSubbufHeader(dataView(bytes), 0, header)
      const status = checkSubbufHeader(header, cpu, seg.meta.subbufSize)
      if (status === HEADER_BAD_VERSION) continue
      const key = `${ch.channelId}/${cpu}`
      let state = seqStates.get(key)
      if (state === undefined) seqStates.set(key, state = createSeqState())
      const sub = decodeSubbuf(cpu, header.seq, bytes, header, status, state, rec, header.watermarkHi, header.watermarkLo)
      forEachRecord(sub.view, sub.recordsStart, sub.recordsEnd, rec, r => {
        if (!w.filter.accepts(sub.view, r.off, cpu)) return
        const mono = u64ToBigInt(recordTsHi(sub.view, r.off), recordTsLo(sub.view, r.off))
        if (w.since !== undefined && mono + ch.monoToRealtimeNs < w.since) return
        const copy = Buffer.from(bytes.subarray(r.off, r.off + r.len))
        out.push({ channelId: ch.channelId, cpu, seq: recordSeq(sub.view, r.off), mono, ch, view: dataView(copy) })
      })
    }
  }
  return out
}

/**
 * The window's items from the history read (spool and archive records, archive losses):
 * duplicates removed, those the live stream delivers (`inLive`) removed, sorted, cut to
 * the window.
 */
export function historyWindow (records: readonly HistoryRecord[], losses: readonly HistoryLoss[], w: HistoryWindow, inLive: (h: HistoryKey) => boolean): HistoryItem[] {
  const seen = new Set<string>()
  const kept: HistoryRecord[] = []
  for (const r of records) {
    const k = `${r.channelId}/${r.cpu}/${r.seq}`
    if (seen.has(k) || inLive(r)) continue
    seen.add(k)
    kept.push(r)
  }
  kept.sort(compareItems)
  const window = w.since !== undefined ? kept : kept.slice(Math.max(0, kept.length - w.lines))
  if (window.length === 0) return []
  const first = window[0]!
  const items: HistoryItem[] = [...window]
  for (const l of losses) {
    if (!w.filter.wantsCpu(l.cpu) || inLive(l)) continue
    if (compareItems(l, first) > 0 || (w.since !== undefined && l.mono + l.ch.monoToRealtimeNs >= w.since)) items.push(l)
  }
  return items.sort(compareItems)
}
