// Walking the records of one complete sub-buffer (PROTOCOL.md §3.2, §3.3): validates each,
// checks that record seqs follow (across sub-buffers too, with the header's `dropped`),
// and turns gaps and faults into loss events. Allocates nothing per record. A sub-buffer
// seq that jumps ahead means the consumer was lapped (lap.ts): the records in between
// are a `collector` loss.
import { SUBBUF_HDR_SIZE } from '../../formats/wire.ts'
import type { SubbufHeader } from '../../formats/subbuf-header.ts'
import { readRecord, RECORD_OK, RECORD_SEQ_NOT_FOLLOWING, type RecordView } from '../../formats/record.ts'

export interface LossEvent {
  cpu: number
  /** the sub-buffer in which the loss was seen */
  subbufSeq: number
  /** first missing record seq; 0 when it cannot be known (no earlier record seen) */
  firstSeq: number
  count: number
  reason: 'dropped' | 'corrupt' | 'collector'
}

/**
 * What one CPU's walk expects next. `expectSeq` is the seq the next record must have
 * (0: unknown, e.g. right after start). `exact` is false after a fault: expectSeq is then
 * only an estimate, the next record resynchronizes, and any gap above it is reported as
 * lost to corruption.
 */
export interface SeqState {
  expectSeq: number
  exact: boolean
  /** seq of the last sub-buffer walked; 0 before the first and after a corrupt header */
  subbufSeq: number
  /** what a gap found when expectSeq is not exact is lost to: a fault, or a lap */
  gap: 'corrupt' | 'collector'
  /**
   * Damage was seen that no `corrupt` gap of this CPU has accounted for yet. It may have held
   * any of the CPU's sub-buffers: in a spool replayed out of order (a copy of an earlier
   * segment read after a damaged one) the gap it made shows only at a later step in
   * sub-buffer seqs, which is then counted as `corrupt`, not as a lap.
   */
  damageUnplaced: boolean
}

export function createSeqState (): SeqState {
  return { expectSeq: 0, exact: false, subbufSeq: 0, gap: 'corrupt', damageUnplaced: false }
}

export interface SubbufWalk {
  /** RECORD_OK, or the RECORD_* status of the first bad record */
  status: number
  /** offset of the first bad record in `bytes`, -1 if none */
  faultOffset: number
  /** offset in `bytes` just past the last good record */
  validEnd: number
  /** good records, all before validEnd */
  records: number
  firstSeq: number
  lastSeq: number
  losses: LossEvent[]
}

function loss (walk: SubbufWalk, cpu: number, subbufSeq: number, firstSeq: number, count: number, reason: LossEvent['reason']): void {
  if (count > 0) walk.losses.push({ cpu, subbufSeq, firstSeq, count, reason })
}

/**
 * Walks the records of a sub-buffer whose header passed checkSubbufHeader. `view` starts at
 * the header and holds at least hdr_size + committed bytes. Updates `state`.
 */
export function walkSubbuf (view: DataView, header: SubbufHeader, state: SeqState, rec: RecordView): SubbufWalk {
  const { cpu, seq: subbufSeq, dropped } = header
  const end = SUBBUF_HDR_SIZE + header.committed
  const known = state.expectSeq > 0
  // Lapped: sub-buffers between the last one walked and this one were never taken. Their
  // records are the gap up to this one's first record (less its own drops, which it counts).
  if (known && state.subbufSeq > 0 && subbufSeq > state.subbufSeq + 1) {
    state.exact = false
    state.gap = state.damageUnplaced ? 'corrupt' : 'collector'
  }
  state.subbufSeq = subbufSeq
  const walk: SubbufWalk = { status: RECORD_OK, faultOffset: -1, validEnd: SUBBUF_HDR_SIZE, records: 0, firstSeq: 0, lastSeq: 0, losses: [] }

  // An exact expectation must be met by the first record; otherwise any first seq is taken.
  let expect = known && state.exact ? state.expectSeq + dropped : 0
  let off = SUBBUF_HDR_SIZE
  while (off < end) {
    const status = readRecord(view, off, end, rec)
    if (status === RECORD_OK && (expect === 0 ? rec.seq < 1 : rec.seq !== expect)) {
      walk.status = RECORD_SEQ_NOT_FOLLOWING
    } else {
      walk.status = status
    }
    if (walk.status !== RECORD_OK) {
      walk.faultOffset = off
      break
    }
    if (walk.records === 0) walk.firstSeq = rec.seq
    walk.lastSeq = rec.seq
    walk.records++
    expect = rec.seq + 1
    off += rec.len
  }
  walk.validEnd = off

  // Records dropped before this sub-buffer opened, and after a fault, records that vanished
  // without a drop count.
  if (known && state.exact) {
    loss(walk, cpu, subbufSeq, state.expectSeq, dropped, 'dropped')
  } else if (walk.records > 0) {
    const dropStart = walk.firstSeq - dropped
    if (known && dropStart > state.expectSeq) {
      loss(walk, cpu, subbufSeq, state.expectSeq, dropStart - state.expectSeq, state.gap)
      if (state.gap === 'corrupt') state.damageUnplaced = false
    }
    loss(walk, cpu, subbufSeq, Math.max(dropStart, 1), dropped, 'dropped')
  } else if (!known) {
    loss(walk, cpu, subbufSeq, 0, dropped, 'dropped')
  }
  // known but inexact, no record: where the drops lie is not known; the gap the next record
  // shows covers them (as corrupt), rather than a row that places them after the fault

  if (walk.status !== RECORD_OK) {
    // The rest of the sub-buffer is lost; nrecords (from a header that passed) says how much.
    const firstLost = walk.records > 0 ? walk.lastSeq + 1 : known && state.exact ? state.expectSeq + dropped : 0
    const count = Math.max(header.nrecords - walk.records, 0)
    loss(walk, cpu, subbufSeq, firstLost, count, 'corrupt')
    state.expectSeq = firstLost > 0 ? firstLost + count : 0
    state.exact = false
    state.gap = 'corrupt'
  } else if (walk.records > 0) {
    state.expectSeq = walk.lastSeq + 1
    state.exact = true
    state.gap = 'corrupt'
  } else if (known && state.exact) {
    state.expectSeq += dropped
  }
  return walk
}

/**
 * A sub-buffer whose header failed validation: nothing in it can be trusted. The records it
 * held are reported as lost to corruption when the next good record shows how many they were.
 */
export function skipCorruptSubbuf (state: SeqState): void {
  state.exact = false
  state.gap = 'corrupt'
  state.damageUnplaced = true
  // its seq cannot be trusted, so the next one cannot show a lap
  state.subbufSeq = 0
}

/**
 * Calls `fn` for each record in [start, end) of `view`, which must already have been
 * validated (by walkSubbuf). `rec` is reused for every record.
 */
export function forEachRecord (view: DataView, start: number, end: number, rec: RecordView, fn: (rec: RecordView) => void): void {
  for (let off = start; off < end; off += rec.len) {
    if (readRecord(view, off, end, rec) !== RECORD_OK) throw new Error(`record at ${off} is not valid: walk the sub-buffer first`)
    fn(rec)
  }
}
