// struct krelay_subbuf_hdr: round trip and every corruption case of PROTOCOL.md §3.3 that a
// single header shows.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { dataView } from '../../formats/bytes.ts'
import { ABI_VERSION, SUBBUF_HDR, SUBBUF_HDR_SIZE, SUBBUF_MAGIC } from '../../formats/wire.ts'
import {
  checkSubbufHeader, createSubbufHeader, readCommitSeq, readSubbufHeader, writeSubbufHeader,
  HEADER_BAD_CPU, HEADER_BAD_HDR_SIZE, HEADER_BAD_MAGIC, HEADER_BAD_VERSION, HEADER_COMMITTED_TOO_LARGE,
  HEADER_OK, HEADER_SEQ_MISMATCH, type SubbufHeader,
} from '../../formats/subbuf-header.ts'
import { u64FromBigInt } from '../../formats/u64.ts'

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
