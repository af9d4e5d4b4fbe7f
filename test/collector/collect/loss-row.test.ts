import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createLossRow, fillLossRow, fillReloadRow, lastLostSeq } from '../../../collector/collect/loss-row.ts'
import { createSubbufHeader, type SubbufHeader } from '../../../formats/subbuf-header.ts'
import type { LossEvent } from '../../../collector/source/records.ts'

function header (fields: Partial<SubbufHeader>): SubbufHeader {
  return Object.assign(createSubbufHeader(), fields)
}

const withRecords = header({ nrecords: 3, firstTsHi: 1, firstTsLo: 500, lastTsHi: 1, lastTsLo: 900, watermarkHi: 2, watermarkLo: 7 })

function event (fields: Partial<LossEvent>): LossEvent {
  return { cpu: 3, subbufSeq: 9, firstSeq: 11, count: 4, reason: 'dropped', ...fields }
}

test('drops: from the last record on the CPU to the first record of the sub-buffer', () => {
  const row = fillLossRow(createLossRow(), event({}), withRecords, { seq: 10, tsHi: 1, tsLo: 100 })
  assert.deepEqual(row, { cpu: 3, firstSeq: 11, count: 4, fromHi: 1, fromLo: 100, toHi: 1, toLo: 500, reason: 'dropped' })
})

test('drops reported in an empty sub-buffer end at its completion (the watermark)', () => {
  const empty = header({ nrecords: 0, firstTsHi: 0, firstTsLo: 0, watermarkHi: 2, watermarkLo: 7 })
  const row = fillLossRow(createLossRow(), event({}), empty, { seq: 10, tsHi: 1, tsLo: 100 })
  assert.deepEqual([row.fromHi, row.fromLo, row.toHi, row.toLo], [1, 100, 2, 7])
})

test('drops before any record seen on the CPU: the range starts where it ends', () => {
  const row = fillLossRow(createLossRow(), event({}), withRecords, { seq: 0, tsHi: 0, tsLo: 0 })
  assert.deepEqual([row.fromHi, row.fromLo, row.toHi, row.toLo], [1, 500, 1, 500])
})

test('a gap of unknown start begins after the last record the archive holds', () => {
  const row = fillLossRow(createLossRow(), event({ firstSeq: 0 }), withRecords, { seq: 41, tsHi: 1, tsLo: 100 })
  assert.equal(row.firstSeq, 42)
  const unknown = fillLossRow(createLossRow(), event({ firstSeq: 0 }), withRecords, { seq: 0, tsHi: 0, tsLo: 0 })
  assert.equal(unknown.firstSeq, 0, 'nothing archived either: still unknown')
})

test('corruption spans the sub-buffer, first to last record', () => {
  const row = fillLossRow(createLossRow(), event({ reason: 'corrupt', count: 2 }), withRecords, { seq: 10, tsHi: 1, tsLo: 100 })
  assert.deepEqual(row, { cpu: 3, firstSeq: 11, count: 2, fromHi: 1, fromLo: 500, toHi: 1, toLo: 900, reason: 'corrupt' })
})

test('a reload row: count 0, from the last record to now, after its seq', () => {
  const row = fillReloadRow(createLossRow(), 2, { seq: 77, tsHi: 5, tsLo: 6 }, 8, 9)
  assert.deepEqual(row, { cpu: 2, firstSeq: 78, count: 0, fromHi: 5, fromLo: 6, toHi: 8, toLo: 9, reason: 'reload' })
})

test('the row is filled in place: one row for every loss', () => {
  const row = createLossRow()
  assert.equal(fillLossRow(row, event({}), withRecords, { seq: 10, tsHi: 1, tsLo: 100 }), row)
  assert.equal(fillReloadRow(row, 0, { seq: 1, tsHi: 0, tsLo: 1 }, 0, 2), row)
})

test('lastLostSeq: the last seq a row covers, its firstSeq for a reload row', () => {
  assert.equal(lastLostSeq(fillLossRow(createLossRow(), event({ firstSeq: 11, count: 4 }), withRecords, { seq: 10, tsHi: 1, tsLo: 100 })), 14)
  assert.equal(lastLostSeq(fillReloadRow(createLossRow(), 0, { seq: 77, tsHi: 0, tsLo: 1 }, 0, 2)), 78)
})
