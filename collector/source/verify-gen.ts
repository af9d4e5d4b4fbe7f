// Checks a generator run (PROTOCOL.md §7) end to end: every record of run r arrives exactly
// once per CPU, in seq order, with the exact content. Works on records from the simulator
// or the real module; imports nothing but formats/ and this directory.
import { TYPE_GEN } from '../../formats/wire.ts'
import { createGenIdentity, isGenRecord, readGenIdentity } from '../../formats/gen.ts'
import { createRecordView, type RecordView } from '../../formats/record.ts'
import { forEachRecord, type LossEvent } from './records.ts'
import type { CompleteSubbuf } from './reader-options.ts'

export interface GenCpuReport {
  cpu: number
  expected: number
  /** distinct indexes received */
  received: number
  /** index ranges never received, [first, last] inclusive, at most 1000 listed */
  missing: Array<[number, number]>
  missingCount: number
  duplicates: number
  /** indexes that arrived after a higher one */
  outOfOrder: number
  /** generator records of this run whose content differs from §7, or from another CPU */
  badContent: number
  /** records (any type) whose seq is not above the previous one */
  seqNotIncreasing: number
  /** generator records of other runs (ignored) */
  otherRuns: number
  /** losses reported by the reader on this CPU */
  dropped: number
  corrupt: number
  /** lost to a lap of the reader (lap.ts) */
  collector: number
}

export interface GenReport {
  run: number
  count: number
  cpus: GenCpuReport[]
  /** every record exactly once, in order, exact content, nothing lost */
  ok: boolean
  /** human-readable problems, empty when ok */
  problems: string[]
}

const MAX_LISTED_RANGES = 1000

class CpuCheck {
  nextIndex = 0
  lastSeq = 0
  /** ranges of indexes below nextIndex not yet received, in order */
  gaps: Array<[number, number]> = []
  report: GenCpuReport

  constructor (cpu: number, count: number) {
    this.report = {
      cpu,
      expected: count,
      received: 0,
      missing: [],
      missingCount: 0,
      duplicates: 0,
      outOfOrder: 0,
      badContent: 0,
      seqNotIncreasing: 0,
      otherRuns: 0,
      dropped: 0,
      corrupt: 0,
      collector: 0,
    }
  }

  index (index: number): void {
    const r = this.report
    if (index === this.nextIndex) {
      this.nextIndex++
      r.received++
    } else if (index > this.nextIndex) {
      this.gaps.push([this.nextIndex, index - 1])
      this.nextIndex = index + 1
      r.received++
    } else {
      const at = this.gaps.findIndex(([first, last]) => index >= first && index <= last)
      if (at < 0) { r.duplicates++; return }
      const [first, last] = this.gaps[at]!
      const pieces: Array<[number, number]> = []
      if (first < index) pieces.push([first, index - 1])
      if (index < last) pieces.push([index + 1, last])
      this.gaps.splice(at, 1, ...pieces)
      r.outOfOrder++
      r.received++
    }
  }
}

export class GenVerifier {
  private readonly checks = new Map<number, CpuCheck>()
  private readonly identity = createGenIdentity()
  private readonly rec = createRecordView()

  /** @param cpus the CPUs the run wrote on (every online CPU) */
  constructor (readonly run: number, readonly count: number, cpus: Iterable<number>) {
    for (const cpu of cpus) this.checks.set(cpu, new CpuCheck(cpu, count))
  }

  private check (cpu: number): CpuCheck {
    let c = this.checks.get(cpu)
    if (!c) { c = new CpuCheck(cpu, 0); this.checks.set(cpu, c) }
    return c
  }

  /** One record read from cpu<cpu>'s buffer (any type; only generator records are checked). */
  addRecord (cpu: number, view: DataView, rec: RecordView): void {
    const c = this.check(cpu)
    if (rec.seq <= c.lastSeq) c.report.seqNotIncreasing++
    c.lastSeq = rec.seq
    if (rec.type !== TYPE_GEN) return
    const id = this.identity
    if (!readGenIdentity(view, rec, id)) { c.report.badContent++; return }
    if (id.run !== this.run) { c.report.otherRuns++; return }
    if (id.cpu !== cpu || id.index >= this.count || !isGenRecord(view, rec, this.run, cpu, id.index)) {
      c.report.badContent++
      if (id.cpu !== cpu || id.index >= this.count) return
    }
    c.index(id.index)
  }

  addLoss (loss: LossEvent): void {
    const r = this.check(loss.cpu).report
    r[loss.reason] += loss.count
  }

  /** Every good record and every loss of a sub-buffer the reader handed on. */
  addSubbuf (sub: CompleteSubbuf): void {
    for (const loss of sub.losses) this.addLoss(loss)
    forEachRecord(sub.view, sub.recordsStart, sub.recordsEnd, this.rec, (rec) => this.addRecord(sub.cpu, sub.view, rec))
  }

  report (): GenReport {
    const cpus: GenCpuReport[] = []
    const problems: string[] = []
    for (const c of [...this.checks.values()].sort((a, b) => a.report.cpu - b.report.cpu)) {
      const r: GenCpuReport = { ...c.report }
      const gaps = [...c.gaps]
      if (c.nextIndex < r.expected) gaps.push([c.nextIndex, r.expected - 1])
      r.missingCount = gaps.reduce((sum, [first, last]) => sum + last - first + 1, 0)
      r.missing = gaps.slice(0, MAX_LISTED_RANGES)
      cpus.push(r)
      const where = `cpu ${r.cpu}`
      if (r.missingCount > 0) {
        const ranges = r.missing.slice(0, 5).map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(', ')
        problems.push(`${where}: ${r.missingCount} of ${r.expected} records missing (indexes ${ranges}${r.missing.length > 5 ? ', ...' : ''}); reader reported ${r.dropped} dropped, ${r.corrupt} corrupt, ${r.collector} lapped`)
      }
      if (r.duplicates > 0) problems.push(`${where}: ${r.duplicates} duplicate records`)
      if (r.outOfOrder > 0) problems.push(`${where}: ${r.outOfOrder} records out of order`)
      if (r.badContent > 0) problems.push(`${where}: ${r.badContent} records with wrong content`)
      if (r.seqNotIncreasing > 0) problems.push(`${where}: ${r.seqNotIncreasing} records whose seq does not increase`)
      if (r.missingCount === 0 && r.dropped + r.corrupt + r.collector > 0) problems.push(`${where}: ${r.dropped} dropped, ${r.corrupt} corrupt and ${r.collector} lapped reported`)
    }
    return { run: this.run, count: this.count, cpus, ok: problems.length === 0, problems }
  }
}
