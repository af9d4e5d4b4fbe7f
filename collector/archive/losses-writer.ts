// The `losses` dataset writer: one row per run of lost sequence numbers. Same staging,
// rotation and publication as records (stager.ts, publisher.ts); partitioned by the hour of ts_from.

import { LOSS_REASONS, LOSSES_COLUMNS, LOSSES_SORT_KEY, type LossReason } from '../../formats/archive-schema.ts'
import { DatasetWriter } from './dataset-writer.ts'
import { Stager } from './stager.ts'
import { lossesSelect, LOSSES_STAGING } from './sql.ts'
import { isMonoHalves, utcQ, utcR } from './time.ts'
import type { LossRow, StagerHooks, WriterOptions } from './types.ts'

/** Bytes counted per loss row. */
export const LOSS_ROW_BYTES = 48

const REASON_CODES: ReadonlyMap<string, number> = new Map(LOSS_REASONS.map((r, i) => [r, i]))

export const LOSSES_SPEC = {
  dataset: 'losses',
  columns: LOSSES_STAGING,
  select: lossesSelect,
  archiveColumns: LOSSES_COLUMNS,
  orderBy: LOSSES_SORT_KEY.join(', '),
  timeHi: 'from_hi',
  timeLo: 'from_lo',
  rawMaxSeqSql: 'first_seq + "count" - 1',
} as const

function isSeq (x: number): boolean {
  return Number.isInteger(x) && x >= 0 && x <= Number.MAX_SAFE_INTEGER
}

export class LossesWriter extends DatasetWriter {
  private readonly cpu: Int32Array
  private readonly firstSeq: Float64Array
  private readonly count: Float64Array
  private readonly fromHi: Uint32Array
  private readonly fromLo: Uint32Array
  private readonly toHi: Uint32Array
  private readonly toLo: Uint32Array
  private readonly reason: Uint32Array

  private constructor (s: Stager) {
    super(s)
    this.cpu = s.array('cpu') as Int32Array
    this.firstSeq = s.array('first_seq') as Float64Array
    this.count = s.array('count') as Float64Array
    this.fromHi = s.array('from_hi') as Uint32Array
    this.fromLo = s.array('from_lo') as Uint32Array
    this.toHi = s.array('to_hi') as Uint32Array
    this.toLo = s.array('to_lo') as Uint32Array
    this.reason = s.array('reason') as Uint32Array
  }

  static async open (opts: WriterOptions, hooks?: StagerHooks): Promise<LossesWriter> {
    return new LossesWriter(await Stager.open(LOSSES_SPEC, opts, hooks))
  }

  /**
   * Stages one loss row. Throws (and takes nothing) on an unknown reason, `count` < 1,
   * a sequence range beyond 2^53-1, times that do not fit the archive, no channel, or
   * StagingFullError.
   */
  append (row: LossRow): void {
    const s = this.s
    const code = REASON_CODES.get(row.reason as LossReason)
    if (code === undefined) throw new RangeError(`archive: unknown loss reason ${JSON.stringify(row.reason)}`)
    // count - 1 <= MAX - firstSeq: exact, where firstSeq + count - 1 could round.
    // A `reload` row may count 0: it marks where a channel ended (ARCHIVE.md).
    if (!isSeq(row.firstSeq) || !isSeq(row.count) || (row.count < 1 && row.reason !== 'reload') || row.count - 1 > Number.MAX_SAFE_INTEGER - row.firstSeq) {
      throw new RangeError(`archive: loss first_seq ${row.firstSeq} count ${row.count} out of range`)
    }
    const q = this.qOf(row.fromHi, row.fromLo)
    const qTo = this.qOf(row.toHi, row.toLo)
    if (q < 0 || qTo < 0) {
      throw new RangeError(
        `archive: loss cpu ${row.cpu} first_seq ${row.firstSeq}: ts ${row.fromHi}:${row.fromLo}..${row.toHi}:${row.toLo} out of the archive's range`
      )
    }
    const k = s.key
    k[0] = q
    k[1] = utcR(row.fromLo, s.offR)
    k[2] = row.cpu
    k[3] = row.firstSeq
    const i = s.beginRow(LOSS_ROW_BYTES)
    this.cpu[i] = row.cpu
    this.firstSeq[i] = row.firstSeq
    this.count[i] = row.count
    this.fromHi[i] = row.fromHi
    this.fromLo[i] = row.fromLo
    this.toHi[i] = row.toHi
    this.toLo[i] = row.toLo
    this.reason[i] = code
    s.endRow(LOSS_ROW_BYTES)
  }

  /** q of mono + offset (time.ts), or -1 when the time does not fit the archive. */
  private qOf (hi: number, lo: number): number {
    return isMonoHalves(hi, lo) ? utcQ(hi, lo, this.s.offQ, this.s.offR) : -1
  }
}
