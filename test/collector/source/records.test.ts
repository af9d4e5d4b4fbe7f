// The walker on hand-built sub-buffers: seq continuity within and across sub-buffers,
// drops, and every record-level corruption of PROTOCOL.md §3.3.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { dataView } from '../../../formats/bytes.ts'
import { ABI_VERSION, KIND_TEXT, RECORD_HDR, SUBBUF_HDR_SIZE, SUBBUF_MAGIC } from '../../../formats/wire.ts'
import { createSubbufHeader, readSubbufHeader, writeSubbufHeader, type SubbufHeader } from '../../../formats/subbuf-header.ts'
import {
  createRecordView, writeRecord, RECORD_LEN_PAST_END, RECORD_LEN_TOO_SMALL, RECORD_LEN_UNALIGNED,
  RECORD_OK, RECORD_PAD_TOO_LARGE, RECORD_SEQ_NOT_FOLLOWING,
} from '../../../formats/record.ts'
import { createSeqState, forEachRecord, skipCorruptSubbuf, walkSubbuf, type SeqState } from '../../../collector/source/records.ts'

const SIZE = 2048

/** A complete sub-buffer with one 64-byte record per seq; returns its bytes and decoded header. */
function subbuf (seq: number, recordSeqs: number[], dropped = 0): { bytes: Buffer, header: SubbufHeader, offsets: number[] } {
  const bytes = Buffer.alloc(SIZE, 0x5a)
  let off = SUBBUF_HDR_SIZE
  const offsets: number[] = []
  for (const s of recordSeqs) {
    offsets.push(off)
    off += writeRecord(bytes, off, { type: 0, kind: KIND_TEXT, level: 6, seq: s, tsHi: 1, tsLo: s, pid: 1, ctx: 0, comm: 't' }, Buffer.from(`record ${s}`))
  }
  writeSubbufHeader(bytes, 0, {
    ...createSubbufHeader(),
    magic: SUBBUF_MAGIC,
    version: ABI_VERSION,
    hdrSize: SUBBUF_HDR_SIZE,
    cpu: 1,
    nrecords: recordSeqs.length,
    seq,
    commitSeq: seq,
    committed: off - SUBBUF_HDR_SIZE,
    dropped,
  })
  return { bytes, header: readSubbufHeader(dataView(bytes), 0, createSubbufHeader()), offsets }
}

function walk (state: SeqState, s: ReturnType<typeof subbuf>) {
  return walkSubbuf(dataView(s.bytes), readSubbufHeader(dataView(s.bytes), 0, s.header), state, createRecordView())
}

/** What the walk expects next, without the lap bookkeeping. */
function expectation (state: SeqState): Pick<SeqState, 'expectSeq' | 'exact'> {
  return { expectSeq: state.expectSeq, exact: state.exact }
}

test('a clean sub-buffer: every record kept, state expects the next seq', () => {
  const state = createSeqState()
  const s = subbuf(1, [1, 2, 3, 4])
  const w = walk(state, s)
  assert.equal(w.status, RECORD_OK)
  assert.equal(w.records, 4)
  assert.equal(w.firstSeq, 1)
  assert.equal(w.lastSeq, 4)
  assert.equal(w.validEnd, SUBBUF_HDR_SIZE + s.header.committed)
  assert.deepEqual(w.losses, [])
  assert.deepEqual(expectation(state), { expectSeq: 5, exact: true })
  const seen: number[] = []
  forEachRecord(dataView(s.bytes), SUBBUF_HDR_SIZE, w.validEnd, createRecordView(), (rec) => seen.push(rec.seq))
  assert.deepEqual(seen, [1, 2, 3, 4])
})

test('dropped records between sub-buffers are a loss with the exact first seq and count', () => {
  const state = createSeqState()
  walk(state, subbuf(1, [1, 2, 3]))
  const w = walk(state, subbuf(2, [11, 12], 7))
  assert.equal(w.status, RECORD_OK)
  assert.deepEqual(w.losses, [{ cpu: 1, subbufSeq: 2, firstSeq: 4, count: 7, reason: 'dropped' }])
  assert.deepEqual(expectation(state), { expectSeq: 13, exact: true })
})

test('drops seen by a consumer that just started: the range ends before the first record', () => {
  const w = walk(createSeqState(), subbuf(5, [20, 21], 4))
  assert.deepEqual(w.losses, [{ cpu: 1, subbufSeq: 5, firstSeq: 16, count: 4, reason: 'dropped' }])
})

test('a first record that does not follow last + dropped + 1 is corrupt: the whole sub-buffer is lost', () => {
  const state = createSeqState()
  walk(state, subbuf(1, [1, 2, 3]))
  const w = walk(state, subbuf(2, [9, 10, 11], 2))
  assert.equal(w.status, RECORD_SEQ_NOT_FOLLOWING)
  assert.equal(w.faultOffset, SUBBUF_HDR_SIZE)
  assert.equal(w.records, 0)
  assert.deepEqual(w.losses, [
    { cpu: 1, subbufSeq: 2, firstSeq: 4, count: 2, reason: 'dropped' },
    { cpu: 1, subbufSeq: 2, firstSeq: 6, count: 3, reason: 'corrupt' },
  ])
  // The estimate (9) is not trusted: the next sub-buffer resynchronizes and reports the rest.
  assert.deepEqual(expectation(state), { expectSeq: 9, exact: false })
  const next = walk(state, subbuf(3, [12, 13]))
  assert.equal(next.status, RECORD_OK)
  assert.deepEqual(next.losses, [{ cpu: 1, subbufSeq: 3, firstSeq: 9, count: 3, reason: 'corrupt' }])
  assert.deepEqual(expectation(state), { expectSeq: 14, exact: true })
})

test('each record corruption keeps the records before it and reports the rest as corrupt', () => {
  const cases: Array<[string, (b: Buffer, at: number) => void, number]> = [
    ['len below 48', (b, at) => b.writeUInt32LE(32, at + RECORD_HDR.len.offset), RECORD_LEN_TOO_SMALL],
    ['len not a multiple of 8', (b, at) => b.writeUInt32LE(68, at + RECORD_HDR.len.offset), RECORD_LEN_UNALIGNED],
    ['len past committed', (b, at) => b.writeUInt32LE(4096, at + RECORD_HDR.len.offset), RECORD_LEN_PAST_END],
    ['pad above 7', (b, at) => { b[at + RECORD_HDR.pad.offset] = 9 }, RECORD_PAD_TOO_LARGE],
    ['seq does not follow', (b, at) => b.writeUInt32LE(99, at + RECORD_HDR.seq.offset), RECORD_SEQ_NOT_FOLLOWING],
    ['seq repeats', (b, at) => b.writeUInt32LE(11, at + RECORD_HDR.seq.offset), RECORD_SEQ_NOT_FOLLOWING],
  ]
  for (const [what, spoil, status] of cases) {
    const state = createSeqState()
    walk(state, subbuf(1, [1, 2, 3, 4, 5, 6, 7, 8, 9]))
    const s = subbuf(2, [10, 11, 12, 13, 14])
    spoil(s.bytes, s.offsets[2]!)
    const w = walk(state, s)
    assert.equal(w.status, status, what)
    assert.equal(w.faultOffset, s.offsets[2], what)
    assert.equal(w.records, 2, what)
    assert.equal(w.lastSeq, 11, what)
    assert.equal(w.validEnd, s.offsets[2], what)
    assert.deepEqual(w.losses, [{ cpu: 1, subbufSeq: 2, firstSeq: 12, count: 3, reason: 'corrupt' }], what)
    assert.deepEqual(expectation(state), { expectSeq: 15, exact: false }, what)
  }
})

test('after a corrupt header the next good sub-buffer reports what vanished, exactly', () => {
  const state = createSeqState()
  walk(state, subbuf(1, [1, 2, 3]))
  skipCorruptSubbuf(state) // sub-buffer 2 had a bad magic: its records 4..8 are unknown
  const w = walk(state, subbuf(3, [11, 12], 2))
  assert.deepEqual(w.losses, [
    { cpu: 1, subbufSeq: 3, firstSeq: 4, count: 5, reason: 'corrupt' },
    { cpu: 1, subbufSeq: 3, firstSeq: 9, count: 2, reason: 'dropped' },
  ])
  assert.deepEqual(expectation(state), { expectSeq: 13, exact: true })
})

test('an estimate that was too high does not produce a negative loss', () => {
  const state: SeqState = { ...createSeqState(), expectSeq: 20 }
  const w = walk(state, subbuf(4, [15, 16]))
  assert.equal(w.status, RECORD_OK)
  assert.deepEqual(w.losses, [])
  assert.deepEqual(expectation(state), { expectSeq: 17, exact: true })
})

test('a zero-record sub-buffer (the last at unload) carries its drops forward', () => {
  const state = createSeqState()
  walk(state, subbuf(1, [1, 2]))
  const w = walk(state, subbuf(2, [], 3))
  assert.equal(w.records, 0)
  assert.deepEqual(w.losses, [{ cpu: 1, subbufSeq: 2, firstSeq: 3, count: 3, reason: 'dropped' }])
  assert.deepEqual(expectation(state), { expectSeq: 6, exact: true })
})

test('a lapped reader: the sub-buffer seq jumps, the records in between are a collector loss, its own drops stay dropped', () => {
  const state = createSeqState()
  walk(state, subbuf(3, [1, 2, 3]))
  // sub-buffers 4..9 were freed by someone else; 10 reports 2 drops before its first record 30
  const w = walk(state, subbuf(10, [30, 31], 2))
  assert.equal(w.status, RECORD_OK)
  assert.deepEqual(w.losses, [
    { cpu: 1, subbufSeq: 10, firstSeq: 4, count: 24, reason: 'collector' },
    { cpu: 1, subbufSeq: 10, firstSeq: 28, count: 2, reason: 'dropped' },
  ])
  assert.deepEqual(expectation(state), { expectSeq: 32, exact: true })
  const next = walk(state, subbuf(12, [40]))
  assert.deepEqual(next.losses, [{ cpu: 1, subbufSeq: 12, firstSeq: 32, count: 8, reason: 'collector' }], 'a second lap is reported too')
  const after = walk(state, subbuf(13, [42], 1))
  assert.deepEqual(after.losses, [{ cpu: 1, subbufSeq: 13, firstSeq: 41, count: 1, reason: 'dropped' }], 'after a lap, gaps are drops again')
})

test('no lap before the first sub-buffer, none across a corrupt header, and a gap after a fault stays corrupt', () => {
  const fresh = createSeqState()
  assert.deepEqual(walk(fresh, subbuf(7, [50, 51])).losses, [], 'a reader that starts anywhere has lost nothing')
  const state = createSeqState()
  walk(state, subbuf(1, [1, 2]))
  skipCorruptSubbuf(state)
  assert.deepEqual(walk(state, subbuf(3, [9])).losses, [{ cpu: 1, subbufSeq: 3, firstSeq: 3, count: 6, reason: 'corrupt' }])
  assert.deepEqual(walk(state, subbuf(4, [10])).losses, [])
})
