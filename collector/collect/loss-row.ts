// Fills the archive's reusable LossRow (ARCHIVE.md, "What a loss row means") from what
// the reader saw: a loss event in a sub-buffer, or the end of a channel at a reload. The
// time range of a row comes from the last record archived on its CPU and the sub-buffer's
// header. Which rows the archive already holds is the pipeline's business.
import type { SubbufHeader } from '../../formats/subbuf-header.ts'
import type { LossRow } from '../archive/index.ts'
import type { LossEvent } from '../source/records.ts'

/** The last record seen on one CPU: its seq and ts; all 0 before the first. */
export interface LastRecord { seq: number, tsHi: number, tsLo: number }

export function createLossRow (): LossRow {
  return { cpu: 0, firstSeq: 0, count: 0, fromHi: 0, fromLo: 0, toHi: 0, toLo: 0, reason: 'dropped' }
}

/** Fills `row` with `loss`, seen in the sub-buffer of header `h`, after `last` on its CPU. */
export function fillLossRow (row: LossRow, loss: LossEvent, h: SubbufHeader, last: LastRecord): LossRow {
  row.cpu = loss.cpu
  // a restarted reader does not know where a gap starts; the archive does
  row.firstSeq = loss.firstSeq === 0 && last.seq > 0 ? last.seq + 1 : loss.firstSeq
  row.count = loss.count
  row.reason = loss.reason
  if (loss.reason !== 'corrupt') {
    // dropped, or skipped by a lapped reader (collector): lost between the last record
    // seen on this CPU and this sub-buffer's first record, or its completion when it has
    // none (a flush opened it to report the drops)
    const empty = h.nrecords === 0
    row.toHi = empty ? h.watermarkHi : h.firstTsHi
    row.toLo = empty ? h.watermarkLo : h.firstTsLo
    const known = last.tsHi !== 0 || last.tsLo !== 0
    row.fromHi = known ? last.tsHi : row.toHi
    row.fromLo = known ? last.tsLo : row.toLo
  } else {
    row.fromHi = h.firstTsHi
    row.fromLo = h.firstTsLo
    row.toHi = h.lastTsHi
    row.toLo = h.lastTsLo
  }
  return row
}

/**
 * Fills `row` as the `reload` row of `cpu`: its stream ended at `last` and the module went
 * away before (nowHi, nowLo). Its count is 0: drops that no later record revealed are not
 * known once the module is gone.
 */
export function fillReloadRow (row: LossRow, cpu: number, last: LastRecord, nowHi: number, nowLo: number): LossRow {
  row.cpu = cpu
  row.firstSeq = last.seq + 1
  row.count = 0
  row.fromHi = last.tsHi
  row.fromLo = last.tsLo
  row.toHi = nowHi
  row.toLo = nowLo
  row.reason = 'reload'
  return row
}

/** The last seq a row covers; a row of count 0 (reload) covers its firstSeq. */
export function lastLostSeq (row: LossRow): number {
  return row.firstSeq + Math.max(row.count, 1) - 1
}
