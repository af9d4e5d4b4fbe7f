// Encode/decode round trips and every corruption case of PROTOCOL.md §3.3 that a single
// header or record shows (seq continuity is the walker's: test/collector/source/records.test.ts).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { dataView } from '../../formats/bytes.ts'
import { ABI_VERSION, CTX_HARDIRQ, KIND_BINARY, KIND_TEXT, RECORD_HDR, SUBBUF_HDR, SUBBUF_HDR_SIZE, SUBBUF_MAGIC, TYPE_SCHED_EXEC, recordLength } from '../../formats/wire.ts'
import {
  checkSubbufHeader, createSubbufHeader, readCommitSeq, readSubbufHeader, writeSubbufHeader,
  HEADER_BAD_CPU, HEADER_BAD_HDR_SIZE, HEADER_BAD_MAGIC, HEADER_BAD_VERSION, HEADER_COMMITTED_TOO_LARGE,
  HEADER_OK, HEADER_SEQ_MISMATCH, type SubbufHeader,
} from '../../formats/subbuf-header.ts'
import {
  createRecordView, readRecord, recordComm, recordPayload, recordText, writeRecord,
  recordCommOffset, recordCtx, recordKind, recordLen, recordLevel, recordPad, recordPayloadOffset, recordPid,
  recordReserved, recordSeq, recordTsHi, recordTsLo, recordType,
  RECORD_LEN_PAST_END, RECORD_LEN_TOO_SMALL, RECORD_LEN_UNALIGNED, RECORD_OK, RECORD_PAD_PAST_PAYLOAD,
  RECORD_PAD_TOO_LARGE, RECORD_SEQ_TOO_LARGE, RECORD_TRUNCATED, type RecordFields,
} from '../../formats/record.ts'
import { compareU64, u64FromBigInt, u64ToBigInt, u64ToSafeNumber, isBelowU64, addToU64 } from '../../formats/u64.ts'

const SUBBUF_SIZE = 4096

function sampleHeader (): SubbufHeader {
  const ts1 = u64FromBigInt((1n << 60n) + 123n)
  const ts2 = u64FromBigInt((1n << 60n) + 456n)
  const wm = u64FromBigInt(0xfedcba9876543210n)
  return {
    ...createSubbufHeader(),
    magic: SUBBUF_MAGIC,
    version: ABI_VERSION,
    hdrSize: SUBBUF_HDR_SIZE,
    cpu: 3,
    nrecords: 7,
    seq: 2 ** 40 + 5,
    commitSeq: 2 ** 40 + 5,
    committed: 1000,
    firstTsHi: ts1.hi,
    firstTsLo: ts1.lo,
    lastTsHi: ts2.hi,
    lastTsLo: ts2.lo,
    dropped: 2 ** 33 + 1,
    watermarkHi: wm.hi,
    watermarkLo: wm.lo,
  }
}

test('sub-buffer header: round trip at an offset, every field exact', () => {
  const buf = Buffer.alloc(SUBBUF_SIZE * 2, 0xaa)
  const h = sampleHeader()
  writeSubbufHeader(buf, SUBBUF_SIZE, h)
  const back = readSubbufHeader(dataView(buf), SUBBUF_SIZE, createSubbufHeader())
  assert.deepEqual(back, h)
  assert.equal(checkSubbufHeader(back, 3, SUBBUF_SIZE), HEADER_OK)
  assert.equal(readCommitSeq(dataView(buf), SUBBUF_SIZE), 2 ** 40 + 5)
  assert.equal(buf.readUInt32LE(SUBBUF_SIZE), 0x4253524b)
  assert.equal(buf.toString('latin1', SUBBUF_SIZE, SUBBUF_SIZE + 4), 'KRSB')
  assert.equal(buf[SUBBUF_SIZE + SUBBUF_HDR_SIZE], 0xaa, 'nothing written past the header')
})

test('sub-buffer header: each corruption of §3.3 is detected', () => {
  const cases: Array<[string, (h: SubbufHeader) => void, number]> = [
    ['magic', (h) => { h.magic = 0x4253524c }, HEADER_BAD_MAGIC],
    ['version', (h) => { h.version = 2 }, HEADER_BAD_VERSION],
    ['hdr_size', (h) => { h.hdrSize = 88 }, HEADER_BAD_HDR_SIZE],
    ['cpu', (h) => { h.cpu = 4 }, HEADER_BAD_CPU],
    ['committed', (h) => { h.committed = SUBBUF_SIZE - SUBBUF_HDR_SIZE + 1 }, HEADER_COMMITTED_TOO_LARGE],
    ['seq', (h) => { h.seq = h.commitSeq - 8 }, HEADER_SEQ_MISMATCH],
  ]
  for (const [what, spoil, status] of cases) {
    const buf = Buffer.alloc(SUBBUF_SIZE)
    const h = sampleHeader()
    spoil(h)
    writeSubbufHeader(buf, 0, h)
    assert.equal(checkSubbufHeader(readSubbufHeader(dataView(buf), 0, createSubbufHeader()), 3, SUBBUF_SIZE), status, what)
  }
  const full = sampleHeader()
  full.committed = SUBBUF_SIZE - SUBBUF_HDR_SIZE
  assert.equal(checkSubbufHeader(full, 3, SUBBUF_SIZE), HEADER_OK, 'committed may fill the sub-buffer')
})

test('sub-buffer header: a seq of 2^53 or more decodes as -1 and fails the check', () => {
  const buf = Buffer.alloc(SUBBUF_SIZE)
  writeSubbufHeader(buf, 0, sampleHeader())
  buf.writeBigUInt64LE(1n << 53n, SUBBUF_HDR.seq.offset)
  buf.writeBigUInt64LE(1n << 53n, SUBBUF_HDR.commit_seq.offset)
  const h = readSubbufHeader(dataView(buf), 0, createSubbufHeader())
  assert.equal(h.seq, -1)
  assert.equal(readCommitSeq(dataView(buf), 0), -1)
})

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

test('u64 halves: ordering of timestamps beyond 2^53 is exact where numbers are not', () => {
  const a = u64FromBigInt(1n << 53n)
  const b = u64FromBigInt((1n << 53n) + 1n)
  assert.equal(a.hi * 2 ** 32 + a.lo, b.hi * 2 ** 32 + b.lo, 'as numbers they collide')
  assert.equal(compareU64(a.hi, a.lo, b.hi, b.lo), -1)
  assert.equal(compareU64(b.hi, b.lo, a.hi, a.lo), 1)
  assert.equal(compareU64(a.hi, a.lo, a.hi, a.lo), 0)
  assert.ok(isBelowU64(a.hi, a.lo, b.hi, b.lo))
  assert.ok(!isBelowU64(b.hi, b.lo, a.hi, a.lo))
  assert.equal(u64ToSafeNumber(a.hi, a.lo), -1)
  const c = { hi: 0, lo: 0xffffffff }
  addToU64(c, 1)
  assert.deepEqual(c, { hi: 1, lo: 0 })
  addToU64(c, 2 ** 33 + 5)
  assert.equal(u64ToBigInt(c.hi, c.lo), (1n << 32n) + (1n << 33n) + 5n)
})
