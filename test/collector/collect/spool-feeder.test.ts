import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Pipeline } from '../../../collector/collect/pipeline.ts'
import { SpoolFeeder } from '../../../collector/collect/spool-feeder.ts'
import { SpoolWriter } from '../../../collector/spool/spool-writer.ts'
import { FRAME_HDR_SIZE } from '../../../formats/capture-frame.ts'
import { readArchive } from '../../../offline/read-archive.ts'
import { meta, subbuf } from './subbufs.ts'

/** A spool segment opened for `meta()`, and a feeder over it into a fresh archive, removed after the test. */
async function feederOnNewSegment (t: TestContext, segmentBytes: number) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'krelay-feeder-'))
  t.after(() => fs.rmSync(out, { recursive: true, force: true }))
  const spoolDir = path.join(out, '.spool')
  const spool = new SpoolWriter(spoolDir, { fsync: 'never', segmentBytes, segmentAgeMs: 60000 }, 1, () => {})
  spool.open(meta())
  const pipeline = await Pipeline.open({ out, host: 'test', maxFileBytes: 1 << 20, maxAgeSeconds: 60 }, spoolDir)
  const feeder = new SpoolFeeder(pipeline)
  const seg = (await feeder.open(spool.segment!.file))!
  return { out, spool, pipeline, feeder, seg }
}

test('a segment fed as it is written: each call takes the whole sub-buffers there are, and leaves a partial one for the next', async (t) => {
  const { out, spool, pipeline, feeder, seg } = await feederOnNewSegment(t, 1 << 20)
  assert.equal(seg.meta.channelId, meta().channelId)
  spool.append(0, subbuf(0, 1, 1, [10, 20]), 2)
  spool.append(1, subbuf(1, 1, 1, [15]), 1)
  assert.equal(feeder.feedTo(seg, spool.segment!.bytes), 0)
  assert.equal(seg.subbufs, 2)
  const next = subbuf(0, 2, 3, [30, 40])
  spool.append(0, next, 4)
  // capture said the segment goes 50 bytes into the next frame: it waits
  assert.equal(feeder.feedTo(seg, spool.segment!.bytes - FRAME_HDR_SIZE - next.length + 50), 50)
  assert.equal(seg.subbufs, 2)
  assert.equal(feeder.feedTo(seg, spool.segment!.bytes), 0)
  assert.equal(seg.subbufs, 3)
  assert.equal(seg.pos, spool.segment!.bytes)
  assert.deepEqual([...seg.maxSeq].sort(), [[0, 4], [1, 1]])
  assert.deepEqual([...feeder.subbufSeq.get(meta().channelId)!].sort(), [[0, 2], [1, 1]])
  spool.close()
  feeder.close(seg)
  await pipeline.close()
  const a = await readArchive(out)
  assert.equal(a.records, 5)
  assert.equal(a.duplicates, 0)
  assert.deepEqual(a.losses, [])
})

test('a range of a MiB or more is mapped, from a place that is not page-aligned, and never past the end of the file', async (t) => {
  const { out, spool, pipeline, feeder, seg } = await feederOnNewSegment(t, 64 << 20)
  spool.append(0, subbuf(0, 1, 1, [5]), 1)
  assert.equal(feeder.feedTo(seg, spool.segment!.bytes), 0, 'a small range: read')
  assert.notEqual(seg.pos % 4096, 0)
  let seq = 1
  let records = 1
  const ts = (n: number, from: number): number[] => Array.from({ length: n }, (_, i) => from + i)
  for (let s = 2; spool.segment!.bytes - seg.pos < (3 << 20); s++) {
    spool.append(0, subbuf(0, s, seq + 1, ts(40, s * 100)), seq + 40)
    seq += 40
    records += 40
  }
  // capture says more is there than the file holds (a torn write): the mapping stops at the file's end
  const end = spool.segment!.bytes
  assert.equal(feeder.feedTo(seg, end + 100), 100)
  assert.equal(seg.pos, end)
  assert.deepEqual([...seg.maxSeq], [[0, seq]])
  spool.close()
  feeder.close(seg)
  await pipeline.close()
  const a = await readArchive(out)
  assert.equal(a.records, records)
  assert.equal(a.duplicates, 0)
})
