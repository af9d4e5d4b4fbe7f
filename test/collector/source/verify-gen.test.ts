// The generator verifier must notice every way a run can go wrong.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { dataView } from '../../../formats/bytes.ts'
import { TYPE_GEN, TYPE_TEXT } from '../../../formats/wire.ts'
import { createRecordView, readRecord, writeRecordHeader, writeRecord, type RecordView } from '../../../formats/record.ts'
import { genKind, genLevel, genPayloadLength, writeGenPayload } from '../../../formats/gen.ts'
import { GenVerifier } from '../../../collector/source/verify-gen.ts'

let seq = 0
/** Generator record `index` of `cpu` in `run`, as a decoded view over its own buffer. */
function gen (run: number, cpu: number, index: number, spoil?: (b: Buffer) => void): [DataView, RecordView] {
  const buf = Buffer.alloc(256)
  const len = writeRecordHeader(buf, 0, { type: TYPE_GEN, kind: genKind(index), level: genLevel(index), seq: ++seq, tsHi: 0, tsLo: seq, pid: 1, ctx: 0, comm: 'g' }, genPayloadLength(run, cpu, index))
  writeGenPayload(buf, 48, run, cpu, index)
  spoil?.(buf)
  const rec = createRecordView()
  assert.equal(readRecord(dataView(buf), 0, len, rec), 0)
  return [dataView(buf), rec]
}

function feed (v: GenVerifier, cpu: number, run: number, indexes: number[]): void {
  for (const index of indexes) v.addRecord(cpu, ...gen(run, cpu, index))
}

test('a complete run is ok; other types and other runs are ignored', () => {
  const v = new GenVerifier(2, 10, [0, 1])
  for (let i = 0; i < 10; i++) {
    feed(v, 0, 2, [i])
    feed(v, 1, 2, [i])
    feed(v, 1, 1, [i])
    const buf = Buffer.alloc(128)
    const len = writeRecord(buf, 0, { type: TYPE_TEXT, kind: 1, level: 6, seq: ++seq, tsHi: 0, tsLo: 0, pid: 1, ctx: 0, comm: 'x' }, Buffer.from('noise'))
    const rec = createRecordView()
    readRecord(dataView(buf), 0, len, rec)
    v.addRecord(0, dataView(buf), rec)
  }
  const report = v.report()
  assert.deepEqual(report.problems, [])
  assert.equal(report.ok, true)
  assert.equal(report.cpus[1]!.otherRuns, 10)
  assert.equal(report.cpus[0]!.received, 10)
})

test('missing ranges, duplicates and late arrivals are told apart', () => {
  const v = new GenVerifier(1, 20, [0])
  feed(v, 0, 1, [0, 1, 2, 5, 6, 6, 7, 3, 12, 13, 2])
  const cpu = v.report().cpus[0]!
  assert.deepEqual(cpu.missing, [[4, 4], [8, 11], [14, 19]])
  assert.equal(cpu.missingCount, 11)
  assert.equal(cpu.duplicates, 2)
  assert.equal(cpu.outOfOrder, 1)
  assert.equal(cpu.received, 9)
  assert.equal(v.report().ok, false)
})

test('a CPU that wrote nothing is all missing', () => {
  const v = new GenVerifier(1, 5, [0, 3])
  feed(v, 0, 1, [0, 1, 2, 3, 4])
  const report = v.report()
  assert.deepEqual(report.cpus[1]!.missing, [[0, 4]])
  assert.deepEqual(report.problems, ['cpu 3: 5 of 5 records missing (indexes 0-4); reader reported 0 dropped, 0 corrupt, 0 lapped'])
})

test('wrong content, wrong CPU and non-increasing seq are caught', () => {
  const v = new GenVerifier(1, 4, [0])
  v.addRecord(0, ...gen(1, 0, 0, (b) => { b[48 + 15] = 7 })) // high byte of run: claims run 0x07000001
  v.addRecord(0, ...gen(1, 0, 1, (b) => { b[7] = 3 })) // level
  v.addRecord(0, ...gen(1, 1, 2)) // payload says cpu 1
  const [view, rec] = gen(1, 0, 3)
  rec.seq = 1
  v.addRecord(0, view, rec)
  const cpu = v.report().cpus[0]!
  assert.equal(cpu.otherRuns, 1)
  assert.equal(cpu.badContent, 2)
  assert.equal(cpu.seqNotIncreasing, 1)
  assert.deepEqual(cpu.missing, [[0, 0], [2, 2]])
})

test('losses are summed per reason', () => {
  const v = new GenVerifier(1, 3, [0])
  feed(v, 0, 1, [0, 1, 2])
  v.addLoss({ cpu: 0, subbufSeq: 4, firstSeq: 10, count: 5, reason: 'dropped' })
  v.addLoss({ cpu: 0, subbufSeq: 5, firstSeq: 20, count: 2, reason: 'corrupt' })
  v.addLoss({ cpu: 0, subbufSeq: 9, firstSeq: 30, count: 3, reason: 'collector' })
  const report = v.report()
  assert.equal(report.cpus[0]!.dropped, 5)
  assert.equal(report.cpus[0]!.corrupt, 2)
  assert.equal(report.cpus[0]!.collector, 3)
  assert.deepEqual(report.problems, ['cpu 0: 5 dropped, 2 corrupt and 3 lapped reported'])
})
