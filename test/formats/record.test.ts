// struct krelay_record_hdr: round trip, field accessors, and every corruption case of
// PROTOCOL.md §3.3 that a single record shows (seq continuity is the walker's:
// test/collector/source/records.test.ts).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { dataView } from '../../formats/bytes.ts'
import { CTX_HARDIRQ, KIND_BINARY, KIND_TEXT, RECORD_HDR, TYPE_SCHED_EXEC, recordLength } from '../../formats/wire.ts'
import {
  createRecordView, readRecord, recordComm, recordPayload, recordText, writeRecord,
  recordCommOffset, recordCtx, recordKind, recordLen, recordLevel, recordPad, recordPayloadOffset, recordPid,
  recordReserved, recordSeq, recordTsHi, recordTsLo, recordType,
  RECORD_LEN_PAST_END, RECORD_LEN_TOO_SMALL, RECORD_LEN_UNALIGNED, RECORD_OK, RECORD_PAD_PAST_PAYLOAD,
  RECORD_PAD_TOO_LARGE, RECORD_SEQ_TOO_LARGE, RECORD_TRUNCATED, type RecordFields,
} from '../../formats/record.ts'
import { u64FromBigInt, u64ToBigInt } from '../../formats/u64.ts'

function fields (over: Partial<RecordFields> = {}): RecordFields {
  const ts = u64FromBigInt((1n << 53n) + 1n)
  return { type: TYPE_SCHED_EXEC, kind: KIND_TEXT, level: 6, seq: 2 ** 53 - 1, tsHi: ts.hi, tsLo: ts.lo, pid: 31337, ctx: CTX_HARDIRQ, comm: 'kworker/3:1', ...over }
}

test('record: round trip, padding, comm and payload without copies', () => {
  const buf = Buffer.alloc(512, 0xee)
  const payload = Buffer.from('exec filename=/bin/true pid=1 old_pid=1')
  const len = writeRecord(buf, 8, fields(), payload)
  assert.equal(len, recordLength(payload.length))
  assert.equal(len % 8, 0)
  const rec = createRecordView()
  assert.equal(readRecord(dataView(buf), 8, 8 + len, rec), RECORD_OK)
  assert.equal(rec.off, 8)
  assert.equal(rec.len, len)
  assert.equal(rec.type, TYPE_SCHED_EXEC)
  assert.equal(rec.kind, KIND_TEXT)
  assert.equal(rec.level, 6)
  assert.equal(rec.seq, 2 ** 53 - 1)
  assert.equal(u64ToBigInt(rec.tsHi, rec.tsLo), (1n << 53n) + 1n, 'ts above 2^53 exact')
  assert.equal(rec.pid, 31337)
  assert.equal(rec.ctx, CTX_HARDIRQ)
  assert.equal(rec.pad, len - 48 - payload.length)
  assert.equal(rec.payloadLen, payload.length)
  assert.equal(recordText(buf, rec), payload.toString())
  assert.equal(recordComm(buf, rec), 'kworker/3:1')
  const view = recordPayload(buf, rec)
  assert.equal(view.buffer, buf.buffer, 'payload is a view, not a copy')
  for (let i = 8 + 48 + payload.length; i < 8 + len; i++) assert.equal(buf[i], 0, 'pad bytes are zero')
})

test('record: the field accessors read what readRecord reads, at any offset', () => {
  const buf = Buffer.alloc(512, 0xee)
  const payload = Buffer.from('exec filename=/bin/true pid=1 old_pid=1')
  const off = 24
  writeRecord(buf, off, fields({ pid: 0xfffffffe }), payload)
  const view = dataView(buf)
  const rec = createRecordView()
  assert.equal(readRecord(view, off, buf.length, rec), RECORD_OK)
  assert.deepEqual(
    [recordLen(view, off), recordType(view, off), recordKind(view, off), recordLevel(view, off), recordSeq(view, off),
      recordTsHi(view, off), recordTsLo(view, off), recordPid(view, off), recordPad(view, off), recordCtx(view, off),
      recordReserved(view, off), recordPayloadOffset(off)],
    [rec.len, rec.type, rec.kind, rec.level, rec.seq, rec.tsHi, rec.tsLo, rec.pid, rec.pad, rec.ctx, rec.reserved, rec.payloadOff])
  assert.equal(recordPid(view, off), 0xfffffffe, 'pid as its u32')
  assert.equal(buf.toString('latin1', recordCommOffset(off), recordCommOffset(off) + 11), 'kworker/3:1')
  buf.writeBigUInt64LE(1n << 53n, off + RECORD_HDR.seq.offset)
  assert.equal(recordSeq(view, off), -1, 'a seq of 2^53 or more reads as -1')
})

test('record: a comm of 16 bytes without NUL', () => {
  const buf = Buffer.alloc(128)
  writeRecord(buf, 0, fields({ comm: 'abcdefghijklmnopqrst', kind: KIND_BINARY }), Buffer.from([1, 2, 3]))
  const rec = createRecordView()
  assert.equal(readRecord(dataView(buf), 0, 128, rec), RECORD_OK)
  assert.equal(recordComm(buf, rec), 'abcdefghijklmnop')
  assert.deepEqual([...recordPayload(buf, rec)], [1, 2, 3])
})

test('record: each corruption of §3.3 is detected', () => {
  const payload = Buffer.from('0123456789') // len 64, pad 6
  const cases: Array<[string, (buf: Buffer) => void, number, number?]> = [
    ['len below 48', (b) => b.writeUInt32LE(40, RECORD_HDR.len.offset), RECORD_LEN_TOO_SMALL],
    ['len zero', (b) => b.writeUInt32LE(0, RECORD_HDR.len.offset), RECORD_LEN_TOO_SMALL],
    ['len not a multiple of 8', (b) => b.writeUInt32LE(60, RECORD_HDR.len.offset), RECORD_LEN_UNALIGNED],
    ['len past committed', (b) => b.writeUInt32LE(72, RECORD_HDR.len.offset), RECORD_LEN_PAST_END],
    ['pad above 7', (b) => { b[RECORD_HDR.pad.offset] = 8 }, RECORD_PAD_TOO_LARGE],
    ['pad past payload', (b) => { b.writeUInt32LE(48, RECORD_HDR.len.offset); b[RECORD_HDR.pad.offset] = 3 }, RECORD_PAD_PAST_PAYLOAD],
    ['seq of 2^53', (b) => b.writeBigUInt64LE(1n << 53n, RECORD_HDR.seq.offset), RECORD_SEQ_TOO_LARGE],
    ['header cut by committed', () => undefined, RECORD_TRUNCATED, 40],
  ]
  for (const [what, spoil, status, end] of cases) {
    const buf = Buffer.alloc(256)
    writeRecord(buf, 0, fields({ seq: 1 }), payload)
    spoil(buf)
    assert.equal(readRecord(dataView(buf), 0, end ?? 64, createRecordView()), status, what)
  }
})
