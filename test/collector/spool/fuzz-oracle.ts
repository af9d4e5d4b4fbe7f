// The fuzzer's oracle (fuzz.test.ts): the undamaged capture. Every record that comes out
// must be exactly one of its records, once; every record of it that does not come out must
// be inside a `corrupt` loss row, or past the last thing known on its CPU when the reader
// reported damage or a torn tail (no later record can say how much was lost there); a loss
// row never covers a record that came out or a seq the capture never reached. And a
// stand-in for the pipeline that applies the same rules to what the feeder hands it.
import type { Pipeline, SubbufInput } from '../../../collector/collect/pipeline.ts'
import { createLossRow, fillLossRow, lastLostSeq } from '../../../collector/collect/loss-row.ts'
import { forEachRecord } from '../../../collector/source/records.ts'
import { createRecordView, recordText } from '../../../formats/record.ts'
import { recordMsg, recordTs, type FuzzCapture } from './fuzz-gen.ts'

export interface OutRecord { msg: string, ts: number }
export interface OutLoss { cpu: number, firstSeq: number, count: number, reason: string }

export interface FuzzOutput {
  /** per CPU, per seq: the record that came out */
  records: Map<number, Map<number, OutRecord>>
  losses: OutLoss[]
  /** the reader said something was damaged, torn or skipped */
  reported: boolean
  /** problems seen while collecting the output (a record twice) */
  problems: string[]
}

export function newOutput (): FuzzOutput {
  return { records: new Map(), losses: [], reported: false, problems: [] }
}

export function addRecord (out: FuzzOutput, cpu: number, seq: number, r: OutRecord): void {
  let m = out.records.get(cpu)
  if (m === undefined) out.records.set(cpu, m = new Map())
  if (m.has(seq)) out.problems.push(`cpu ${cpu} seq ${seq} came out twice`)
  m.set(seq, r)
}

/**
 * Everything wrong with `out` for capture `cap`; empty when the properties hold. `lost` is the
 * reason a gap without damage may have: a segment cut at a frame boundary leaves nothing to see
 * but the jump in sub-buffer seqs that follows, which reads as a lap (CAPTURE.md): `collector`.
 */
export function checkOutput (cap: FuzzCapture, out: FuzzOutput, lost: 'corrupt' | 'collector' = 'corrupt'): string[] {
  const gapReasons = new Set(['corrupt', lost])
  const problems = [...out.problems]
  const covered = new Map<number, Map<number, string>>()
  for (const l of out.losses) {
    const last = cap.last.get(l.cpu) ?? 0
    if (l.count < 1 || !Number.isSafeInteger(l.count)) problems.push(`loss row with count ${l.count}`)
    if (!gapReasons.has(l.reason) && l.reason !== 'dropped') problems.push(`loss row with reason ${l.reason}`)
    // a row that cannot say where its gap starts (a CPU's first sub-buffer after damage had drops)
    if (l.firstSeq === 0 && l.reason === 'dropped' && l.count <= last) continue
    if (l.firstSeq < 1 || l.firstSeq + l.count - 1 > last) {
      problems.push(`loss row cpu ${l.cpu} ${l.firstSeq}+${l.count} ${l.reason} outside the capture's seqs 1..${last}`)
      continue
    }
    let c = covered.get(l.cpu)
    if (c === undefined) covered.set(l.cpu, c = new Map())
    for (let s = l.firstSeq; s < l.firstSeq + l.count; s++) {
      if (out.records.get(l.cpu)?.has(s) === true) problems.push(`loss row cpu ${l.cpu} ${l.firstSeq}+${l.count} covers record ${s}, which came out`)
      if (c.has(s)) problems.push(`cpu ${l.cpu} seq ${s} is in two loss rows`)
      c.set(s, l.reason)
      if (l.reason === 'dropped' && cap.records.get(l.cpu)?.has(s) === true) problems.push(`record cpu ${l.cpu} seq ${s} counted as dropped`)
    }
  }
  for (const [cpu, m] of out.records) {
    for (const [seq, r] of m) {
      if (cap.records.get(cpu)?.has(seq) !== true) { problems.push(`cpu ${cpu} seq ${seq} came out but is not in the capture`); continue }
      if (r.msg !== recordMsg(cpu, seq) || r.ts !== recordTs(cpu, seq)) problems.push(`cpu ${cpu} seq ${seq} came out wrong: ${JSON.stringify(r)}`)
    }
  }
  for (const [cpu, seqs] of cap.records) {
    const got = out.records.get(cpu)
    // what came out of the CPU spans first..known; before and after it, damage that nothing
    // on the CPU follows or precedes cannot be counted (CAPTURE.md, "Damage")
    let known = 0
    let first = Infinity
    for (const s of got?.keys() ?? []) { known = Math.max(known, s); first = Math.min(first, s) }
    for (const l of out.losses) {
      if (l.cpu !== cpu || l.firstSeq === 0) continue
      known = Math.max(known, l.firstSeq + l.count - 1)
      first = Math.min(first, l.firstSeq)
    }
    for (const s of seqs) {
      if (got?.has(s) === true || gapReasons.has(covered.get(cpu)?.get(s) ?? '')) continue
      if ((s > known || s < first) && out.reported) continue
      if (s > known && cap.tailCut) continue
      if (s < first && cap.headCut) continue
      problems.push(`record cpu ${cpu} seq ${s} vanished${out.reported ? '' : ' and nothing was reported'}`)
      break
    }
  }
  return problems
}

/** The part of Pipeline the feeder uses, with Pipeline's rules for records and loss rows (pipeline.ts). */
export class OraclePipeline {
  private readonly pos = new Map<number, { seq: number, tsHi: number, tsLo: number, lossSeq: number }>()
  private readonly rec = createRecordView()
  constructor (readonly out: FuzzOutput) {}

  /** a fresh archive: it holds nothing */
  readonly state = { durableSeq: (): number => 0 }
  async startChannel (): Promise<void> {}
  async round (): Promise<void> {}

  addSubbuf (sub: SubbufInput): void {
    let pos = this.pos.get(sub.cpu)
    if (pos === undefined) this.pos.set(sub.cpu, pos = { seq: 0, tsHi: 0, tsLo: 0, lossSeq: 0 })
    for (const loss of sub.losses) {
      const row = fillLossRow(createLossRow(), loss, sub.header, pos)
      const last = lastLostSeq(row)
      if (last <= pos.lossSeq) continue
      pos.lossSeq = last
      this.out.losses.push({ cpu: row.cpu, firstSeq: row.firstSeq, count: row.count, reason: row.reason })
    }
    const bytes = Buffer.from(sub.view.buffer, sub.view.byteOffset, sub.view.byteLength)
    forEachRecord(sub.view, sub.recordsStart, sub.recordsEnd, this.rec, r => {
      if (r.seq <= pos.seq) return
      pos.seq = r.seq
      pos.tsHi = r.tsHi
      pos.tsLo = r.tsLo
      addRecord(this.out, sub.cpu, r.seq, { msg: recordText(bytes, r), ts: r.tsHi * 2 ** 32 + r.tsLo })
    })
  }

  asPipeline (): Pipeline {
    return this as unknown as Pipeline
  }
}
