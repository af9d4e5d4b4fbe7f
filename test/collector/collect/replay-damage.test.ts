// Replaying a damaged spool (replay.ts through spool-feeder.ts, into a real archive): each
// problem issue 10 found, as a case. Damage is skipped to the next good sub-buffer, counted
// as a `corrupt` loss row with the exact seq range, logged once with the file and offset;
// nothing halts; a copied segment is read once; a segment of the previous release is read.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Pipeline } from '../../../collector/collect/pipeline.ts'
import { replaySpool, type ReplayResult } from '../../../collector/collect/replay.ts'
import { segmentName } from '../../../collector/spool/segment.ts'
import { encodeCaptureHeader } from '../../../formats/capture.ts'
import { encodeFrame, FRAME_HDR_SIZE } from '../../../formats/capture-frame.ts'
import { SUBBUF_HDR } from '../../../formats/wire.ts'
import { readArchive, type ArchiveContents } from '../../../offline/read-archive.ts'
import { meta, subbuf } from './subbufs.ts'

const CH = meta().channelId

interface Replayed { result: ReplayResult, lines: string[], a: ArchiveContents, dir: string }

/** Writes the segments (bytes each) into a spool, replays it into a fresh archive, reads that back. */
async function replay (t: TestContext, segments: Buffer[]): Promise<Replayed> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'krelay-damage-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const spool = path.join(dir, 'spool')
  fs.mkdirSync(spool)
  segments.forEach((b, i) => fs.writeFileSync(path.join(spool, segmentName(i + 1, CH)), b))
  const out = path.join(dir, 'out')
  const pipeline = await Pipeline.open({ out, host: 'test', maxFileBytes: 1 << 20, maxAgeSeconds: 60 }, path.join(dir, 'state'))
  const lines: string[] = []
  const result = await replaySpool(spool, pipeline, l => lines.push(l))
  await pipeline.close()
  return { result, lines, a: await readArchive(out), dir: spool }
}

const ts = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => (from + i) * 10)

/** Three sub-buffers of cpu 0 (records 1-3, 4-6, 7-9) and two of cpu 1 (1-2, 3-4), framed. */
function frames (): Buffer[] {
  return [
    encodeFrame(subbuf(0, 1, 1, ts(1, 3)), 0, 1),
    encodeFrame(subbuf(1, 1, 1, ts(1, 2)), 1, 1),
    encodeFrame(subbuf(0, 2, 4, ts(4, 3)), 0, 2),
    encodeFrame(subbuf(1, 2, 3, ts(3, 2)), 1, 2),
    encodeFrame(subbuf(0, 3, 7, ts(7, 3)), 0, 3),
  ]
}

const header = (): Buffer => encodeCaptureHeader(meta())
const lossList = (a: ArchiveContents): unknown[] => a.losses.map(l => [l.cpu, l.reason, l.count, l.firstSeq])
const recordsPer = (a: ArchiveContents): unknown[] => a.perCpu.map(p => [p.cpu, p.records])

test('one flipped bit of a sub-buffer\'s committed: that sub-buffer is a corrupt row with its seqs, the next one is archived, one log line', async (t) => {
  const f = frames()
  f[2]![FRAME_HDR_SIZE + SUBBUF_HDR.committed.offset] = f[2]![FRAME_HDR_SIZE + SUBBUF_HDR.committed.offset]! ^ 0x40
  const { result, lines, a, dir } = await replay(t, [Buffer.concat([header(), ...f])])
  assert.deepEqual(recordsPer(a), [[0, 6], [1, 4]])
  assert.deepEqual(lossList(a), [[0, 'corrupt', 3, 4]])
  assert.equal(result.damagedSpans, 1)
  assert.equal(lines.length, 1)
  const at = header().length + f[0]!.length + f[1]!.length
  assert.ok(lines[0]!.includes(path.join(dir, segmentName(1, CH))) && lines[0]!.includes(`bytes ${at}..${at + f[2]!.length}`), lines[0])
  assert.equal(a.duplicates + a.lossOverlaps + a.badLossRanges, 0)
})

test('a flipped high bit of a record\'s ts, a flipped cpu, a flipped dropped: caught by the CRC, never a wrong row, never a halt', async (t) => {
  for (const off of [FRAME_HDR_SIZE + 80 + 16 + 7, FRAME_HDR_SIZE + SUBBUF_HDR.cpu.offset, FRAME_HDR_SIZE + SUBBUF_HDR.dropped.offset + 6, 12]) {
    const f = frames()
    f[2]![off] = f[2]![off]! ^ 0x80
    const { a, lines } = await replay(t, [Buffer.concat([header(), ...f])])
    assert.deepEqual(recordsPer(a), [[0, 6], [1, 4]], `byte ${off}`)
    assert.deepEqual(lossList(a), [[0, 'corrupt', 3, 4]], `byte ${off}`)
    assert.equal(lines.length, 1)
  }
})

test('a segment copied twice: every record and loss row once, the copy logged', async (t) => {
  const seg = Buffer.concat([header(), ...frames(), encodeFrame(subbuf(1, 3, 8, ts(8, 1), 3), 1, 3)])
  const { a, lines, result } = await replay(t, [seg, Buffer.from(seg)])
  assert.deepEqual(recordsPer(a), [[0, 9], [1, 5]])
  assert.deepEqual(lossList(a), [[1, 'dropped', 3, 5]])
  assert.equal(result.duplicates, 6)
  assert.equal(lines.length, 1)
  assert.match(lines[0]!, /6 sub-buffers skipped: fed already/)
})

test('a segment with a bad header among good ones: skipped and named once, the others archived, its records a corrupt row', async (t) => {
  const f = frames()
  const bad = Buffer.concat([header(), f[2]!, f[3]!])
  bad[9] = bad[9]! ^ 1 // channel_id
  const { a, lines, result } = await replay(t, [Buffer.concat([header(), f[0]!, f[1]!]), bad, Buffer.concat([header(), f[4]!])])
  assert.deepEqual(recordsPer(a), [[0, 6], [1, 2]])
  assert.deepEqual(lossList(a), [[0, 'corrupt', 3, 4]])
  assert.equal(result.damagedSegments.length, 1)
  assert.equal(lines.length, 1)
  assert.match(lines[0]!, /0000000002-0123456789abcdef\.krcap: capture header CRC mismatch .*segment skipped/)
})

test('a damaged segment, then a copy of the one before it: the records the damaged one held are a corrupt row, not a lap', async (t) => {
  // found by the fuzzer (seeds 861389764 and 2173424803): the gap the damaged segment made
  // shows only after the copy, as a step in sub-buffer seqs
  const f = frames()
  const bad = Buffer.concat([header(), f[4]!])
  bad[9] = bad[9]! ^ 1
  const after = Buffer.concat([header(), encodeFrame(subbuf(0, 4, 10, ts(10, 3)), 0, 4)])
  // cpu 0 first seen in the copy: the first copy's only frame is damaged
  const one = Buffer.concat([header(), f[0]!])
  const broken = Buffer.from(one)
  broken[header().length] = broken[header().length]! ^ 1 // the frame's magic
  let r = await replay(t, [broken, bad, Buffer.concat([header(), f[0]!, f[2]!]), after])
  assert.deepEqual(recordsPer(r.a), [[0, 9]])
  assert.deepEqual(lossList(r.a), [[0, 'corrupt', 3, 7]])
  assert.equal(r.lines.length, 2)
  // cpu 0 seen before the damage, its damaged sub-buffer read whole from the copy
  const two = Buffer.concat([header(), f[0]!, f[2]!])
  const torn = Buffer.from(two)
  torn[header().length + f[0]!.length + 40] = torn[header().length + f[0]!.length + 40]! ^ 1
  r = await replay(t, [torn, bad, two, after])
  assert.deepEqual(recordsPer(r.a), [[0, 9]])
  assert.deepEqual(lossList(r.a), [[0, 'corrupt', 3, 7]])
  assert.equal(r.lines.length, 3, r.lines.join('\n')) // the damage, the bad header, the copy
})

test('a sub-buffer of an unknown ABI version inside a good frame: counted as corrupt, the replay goes on', async (t) => {
  const f = frames()
  const odd = subbuf(0, 2, 4, ts(4, 3))
  odd.writeUInt16LE(99, SUBBUF_HDR.version.offset)
  f[2] = encodeFrame(odd, 0, 2)
  const { a, lines } = await replay(t, [Buffer.concat([header(), ...f])])
  assert.deepEqual(recordsPer(a), [[0, 6], [1, 4]])
  assert.deepEqual(lossList(a), [[0, 'corrupt', 3, 4]])
  assert.equal(lines.length, 1)
  assert.match(lines[0]!, /unsupported version/)
})

test('a sub-buffer whose header failed its checks at capture is spooled as its header alone: what follows is read right', async (t) => {
  const f = frames()
  const bad = subbuf(0, 2, 4, ts(4, 3))
  bad.writeUInt32LE(7, SUBBUF_HDR.commit_seq.offset) // seq differs from commit_seq
  f[2] = encodeFrame(bad.subarray(0, 80), 0, 2)
  const { a, lines } = await replay(t, [Buffer.concat([header(), ...f])])
  assert.deepEqual(recordsPer(a), [[0, 6], [1, 4]])
  assert.deepEqual(lossList(a), [[0, 'corrupt', 3, 4]])
  assert.equal(lines.length, 1)
})

test('a spool of the previous release (capture version 1, no frames) is replayed after an upgrade', async (t) => {
  const v1 = header()
  v1.writeUInt16LE(1, 4)
  v1.writeUInt32LE(0, 44)
  const seg = Buffer.concat([v1, subbuf(0, 1, 1, ts(1, 3)), subbuf(1, 1, 1, ts(1, 2)), subbuf(0, 2, 4, ts(4, 3))])
  const { a, lines } = await replay(t, [seg])
  assert.deepEqual(recordsPer(a), [[0, 6], [1, 2]])
  assert.deepEqual(a.losses, [])
  assert.deepEqual(lines, [])
})

test('an incomplete frame at the very end is a torn tail: no loss, no log line; garbage at the end is damage', async (t) => {
  const f = frames()
  const torn = await replay(t, [Buffer.concat([header(), ...f.slice(0, 4), f[4]!.subarray(0, 100)])])
  assert.deepEqual(recordsPer(torn.a), [[0, 6], [1, 4]])
  assert.deepEqual(torn.a.losses, [])
  assert.equal(torn.result.tornBytes, 100)
  assert.deepEqual(torn.lines, [])
  const junk = await replay(t, [Buffer.concat([header(), ...f, Buffer.alloc(64, 0xab)])])
  assert.deepEqual(recordsPer(junk.a), [[0, 9], [1, 4]])
  assert.equal(junk.result.tornBytes, 0)
  assert.equal(junk.lines.length, 1)
})
