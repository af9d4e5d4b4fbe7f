// The records before the tail connected, for -n and --since: what the collector holds but
// has not published (its spool) and what it has (the archive), deduplicated by
// (channel_id, cpu, seq), filtered as the live stream is, in (ts, cpu, seq) order. Each
// record becomes a wire record (formats/record.ts) so that one path prints both history
// and live. Not a hot path: one small Buffer per record kept.
//
// Losses likewise come from both. The collector publishes a loss row only after the records
// publish that follows it (collector/collect/pipeline.ts), so for up to --file-age a loss
// it found is staged in its memory alone, which the live stream does not resend to a new
// subscriber: the spool holds the sub-buffers that reveal it (their `dropped` counts, seq
// gaps, faults), and decoding them as the collector does (decodeSubbuf, fillLossRow) gives
// the same row (but for its start time when the spool lacks the record before the gap). No
// segment is deleted while a loss row is staged (collector/collect/spool-follower.ts,
// deleteArchived), so each loss is in the spool or in the archive, or both: deduplicated by
// (channel, cpu, reason, last seq covered), the archive's row kept. Not
// recoverable from either: a `reload` row still staged (the spool has no record of the
// module going away, the collector makes that row from its clock).
import type { LossRow } from '../../collector/archive/index.ts'
import type { LiveFilter } from '../../collector/live/filter.ts'
import { createLossRow, fillLossRow, lastLostSeq, type LastRecord } from '../../collector/collect/loss-row.ts'
import { decodeSubbuf } from '../../collector/source/decode-subbuf.ts'
import { createSeqState, forEachRecord, skipCorruptSubbuf, type SeqState } from '../../collector/source/records.ts'
import { listSegments, readSegment } from '../../collector/spool/spool-reader.ts'
import { CaptureHeaderError } from '../../formats/capture.ts'
import { dataView } from '../../formats/bytes.ts'
import { createRecordView, recordTsHi, recordTsLo } from '../../formats/record.ts'
import { checkSubbufHeader, createSubbufHeader, HEADER_COMMITTED_TOO_LARGE, HEADER_OK, readSubbufHeader } from '../../formats/subbuf-header.ts'
import { SUBBUF_HDR_SIZE } from '../../formats/wire.ts'
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

export interface SpoolHistory {
  records: HistoryRecord[]
  /** every loss the spool's sub-buffers reveal, whatever the window: historyWindow cuts them */
  losses: HistoryLoss[]
}

/** Records of every spool segment that pass the filter and the window's --since, and the segments' losses. */
export function spoolHistory (dir: string, w: HistoryWindow): SpoolHistory {
  const out: SpoolHistory = { records: [], losses: [] }
  const header = createSubbufHeader()
  const rec = createRecordView()
  const seqStates = new Map<string, SeqState>()
  // per (channel, cpu), the last record read, for a loss row's time range (as the pipeline keeps it)
  const lastRecords = new Map<string, LastRecord>()
  // per (channel, cpu), the highest sub-buffer seq read: a segment copied twice is read once
  const subbufSeqs = new Map<string, number>()
  for (const file of listSegments(dir)) {
    let seg
    try {
      seg = readSegment(file)
    } catch (e) {
      // archived and deleted since it was listed: the archive, read next, has it
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue
      // a bad header: the collector skips that segment too (and logged it)
      if (e instanceof CaptureHeaderError) continue
      throw e
    }
    // a segment the collector is creating, its header not written whole yet: no records
    if (seg === null) continue
    const ch: ChannelInfo = { channelId: seg.meta.channelId, monoToRealtimeNs: BigInt(seg.meta.monoToRealtimeNs) }
    // Damage, a copy, a jump in sub-buffer seqs (skipped, as the collector does: spool-feeder.ts):
    // each CPU's next record resyncs, and the gap before it is a corrupt loss.
    const resync = (): void => { for (const [key, state] of seqStates) if (key.startsWith(`${ch.channelId}/`)) skipCorruptSubbuf(state) }
    let span = 0
    for (const { cpu, seq, bytes, offset } of seg.subbufs) {
      for (; span < seg.damaged.length && seg.damaged[span]!.to <= offset; span++) resync()
      readSubbufHeader(dataView(bytes), 0, header)
      let status = checkSubbufHeader(header, cpu, seg.meta.subbufSize)
      const key = `${ch.channelId}/${cpu}`
      const fed = subbufSeqs.get(key) ?? -1
      if (status === HEADER_OK && seq <= fed) { resync(); continue } // a copy of a sub-buffer read already
      if (status === HEADER_OK) subbufSeqs.set(key, seq)
      if (status === HEADER_OK && bytes.length !== SUBBUF_HDR_SIZE + header.committed) status = HEADER_COMMITTED_TOO_LARGE
      let state = seqStates.get(key)
      if (state === undefined) seqStates.set(key, state = createSeqState())
      if (status === HEADER_OK && fed >= 0 && seq > fed + 1) skipCorruptSubbuf(state)
      let last = lastRecords.get(key)
      if (last === undefined) lastRecords.set(key, last = { seq: 0, tsHi: 0, tsLo: 0 })
      const sub = decodeSubbuf(cpu, header.seq, bytes, header, status, state, rec, header.watermarkHi, header.watermarkLo)
      for (const l of sub.losses) {
        const row = fillLossRow(createLossRow(), l, sub.header, last)
        out.losses.push({ channelId: ch.channelId, cpu, seq: row.firstSeq, mono: u64ToBigInt(row.toHi, row.toLo), ch, loss: row })
      }
      forEachRecord(sub.view, sub.recordsStart, sub.recordsEnd, rec, r => {
        last.seq = r.seq
        last.tsHi = recordTsHi(sub.view, r.off)
        last.tsLo = recordTsLo(sub.view, r.off)
        if (!w.filter.accepts(sub.view, r.off, cpu)) return
        const mono = u64ToBigInt(last.tsHi, last.tsLo)
        if (w.since !== undefined && mono + ch.monoToRealtimeNs < w.since) return
        const copy = Buffer.from(bytes.subarray(r.off, r.off + r.len))
        out.records.push({ channelId: ch.channelId, cpu, seq: r.seq, mono, ch, view: dataView(copy) })
      })
    }
    if (span < seg.damaged.length || seg.tornBytes > 0) resync()
  }
  return out
}

/**
 * The window's items from the history read (spool and archive records and losses):
 * duplicates removed (of two copies of a loss, the first in `losses` is kept), those the
 * live stream delivers (`inLive`) removed, sorted, cut to the window.
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
  const lossSeen = new Set<string>()
  for (const l of losses) {
    if (!w.filter.wantsCpu(l.cpu) || inLive(l)) continue
    // a loss is known by its channel, cpu, reason and the last seq it covers, as the pipeline knows it
    const k = `${l.channelId}/${l.cpu}/${l.loss.reason}/${lastLostSeq(l.loss)}`
    if (lossSeen.has(k)) continue
    lossSeen.add(k)
    if (compareItems(l, first) > 0 || (w.since !== undefined && l.mono + l.ch.monoToRealtimeNs >= w.since)) items.push(l)
  }
  return items.sort(compareItems)
}
