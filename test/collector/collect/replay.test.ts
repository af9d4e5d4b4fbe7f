import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { CaptureMeta } from '../../../formats/capture.ts'
import { encodeFrame } from '../../../formats/capture-frame.ts'
import { Pipeline } from '../../../collector/collect/pipeline.ts'
import { replaySpool } from '../../../collector/collect/replay.ts'
import { SpoolWriter } from '../../../collector/spool/spool-writer.ts'
import { readArchive } from '../../../offline/read-archive.ts'
import { meta, subbuf } from './subbufs.ts'

interface Dirs { out: string, spool: string }

function dirs (t: TestContext): Dirs {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'krelay-replay-'))
  t.after(() => fs.rmSync(out, { recursive: true, force: true }))
  return { out, spool: path.join(out, '.spool') }
}

function open (d: Dirs): Promise<Pipeline> {
  return Pipeline.open({ out: d.out, host: 'test', maxFileBytes: 1 << 20, maxAgeSeconds: 60 }, d.spool)
}

/** Writes one segment per entry of `segments`: each a list of [cpu, sub-buffer bytes, last record seq]. */
function writeSpool (dir: string, segments: Array<Array<[number, Buffer, number]>>, m: CaptureMeta = meta(), first = 1): string[] {
  const files: string[] = []
  const spool = new SpoolWriter(dir, { fsync: 'never', segmentBytes: 1 << 20, segmentAgeMs: 60000 }, first, s => files.push(s.file))
  for (const segment of segments) {
    spool.open(m)
    for (const [cpu, bytes, lastSeq] of segment) spool.append(cpu, bytes, lastSeq)
  }
  spool.close()
  return files
}

test('every sub-buffer of every segment goes through the pipeline, with the highest seqs found', async (t) => {
  const d = dirs(t)
  writeSpool(d.spool, [
    [[0, subbuf(0, 1, 1, [10, 20]), 2], [1, subbuf(1, 1, 1, [15]), 1]],
    [[0, subbuf(0, 2, 3, [30, 40, 50]), 5], [1, subbuf(1, 2, 2, [25, 35]), 3], [0, subbuf(0, 3, 6, [60]), 6]],
  ])
  const pipeline = await open(d)
  const result = await replaySpool(d.spool, pipeline)
  assert.equal(result.subbufs, 5)
  assert.equal(result.tornBytes, 0)
  assert.deepEqual([...result.subbufSeq.get(meta().channelId)!].sort(), [[0, 3], [1, 2]])
  assert.deepEqual(result.segments.map(s => [...s.maxSeq].sort()), [[[0, 2], [1, 1]], [[0, 6], [1, 3]]])
  assert.ok(result.segments.every(s => s.closed && s.meta.channelId === meta().channelId))
  await pipeline.close()
  assert.equal(pipeline.totals.records, 9)
  const a = await readArchive(d.out)
  assert.equal(a.records, 9)
  assert.equal(a.duplicates, 0)
  assert.deepEqual(a.losses, [])
})

test('drops reported by a sub-buffer of a later segment become a loss row', async (t) => {
  const d = dirs(t)
  writeSpool(d.spool, [
    [[0, subbuf(0, 1, 1, [10, 20, 30]), 3]],
    [[0, subbuf(0, 2, 6, [60], 2), 6]],
  ])
  const pipeline = await open(d)
  await replaySpool(d.spool, pipeline)
  await pipeline.close()
  assert.equal(pipeline.totals.records, 4)
  assert.equal(pipeline.totals.lostRecords, 2)
  const a = await readArchive(d.out)
  assert.deepEqual(a.losses.map(l => [l.cpu, l.reason, l.count, l.firstSeq]), [[0, 'dropped', 2, 4]])
})

test('the seq walk goes on across segments: a record that does not follow the last segment\'s is corrupt', async (t) => {
  const d = dirs(t)
  writeSpool(d.spool, [
    [[0, subbuf(0, 1, 1, [10, 20, 30]), 3]],
    [[0, subbuf(0, 2, 6, [60]), 6]],
  ])
  const pipeline = await open(d)
  await replaySpool(d.spool, pipeline)
  await pipeline.close()
  assert.equal(pipeline.totals.records, 3)
  const a = await readArchive(d.out)
  assert.deepEqual(a.losses.map(l => [l.cpu, l.reason, l.count, l.firstSeq]), [[0, 'corrupt', 1, 4]])
})

test('a segment cut short by a crash: its whole sub-buffers are replayed, the torn tail counted', async (t) => {
  const d = dirs(t)
  const [file] = writeSpool(d.spool, [[[0, subbuf(0, 1, 1, [10, 20]), 2]]])
  const torn = encodeFrame(subbuf(0, 2, 3, [30, 40]), 0, 2).subarray(0, 100)
  fs.appendFileSync(file!, torn)
  const pipeline = await open(d)
  const result = await replaySpool(d.spool, pipeline)
  await pipeline.close()
  assert.equal(result.subbufs, 1)
  assert.equal(result.tornBytes, torn.length)
  assert.equal(pipeline.totals.records, 2)
})

test('a second replay of the same spool archives nothing twice', async (t) => {
  const d = dirs(t)
  writeSpool(d.spool, [[[0, subbuf(0, 1, 1, [10, 20, 30]), 3], [1, subbuf(1, 1, 1, [15]), 1]]])
  const first = await open(d)
  await replaySpool(d.spool, first)
  await first.close()
  const again = await open(d)
  const result = await replaySpool(d.spool, again)
  await again.close()
  assert.equal(result.subbufs, 2)
  assert.equal(again.totals.skipped, 4)
  assert.equal(again.totals.records, 0)
  const a = await readArchive(d.out)
  assert.equal(a.records, 4)
  assert.equal(a.duplicates, 0)
})

test('a segment of another ABI version is skipped, named in one log line; the rest is archived', async (t) => {
  const d = dirs(t)
  writeSpool(d.spool, [[[0, subbuf(0, 1, 1, [10]), 1]]])
  const [file] = writeSpool(d.spool, [[[0, subbuf(0, 2, 2, [20]), 2]]], { ...meta(), abiVersion: 2 }, 2)
  const pipeline = await open(d)
  const lines: string[] = []
  const result = await replaySpool(d.spool, pipeline, l => lines.push(l))
  await pipeline.close()
  assert.deepEqual(result.damagedSegments, [file])
  assert.equal(lines.length, 1)
  assert.match(lines[0]!, /ABI version 2/)
  assert.ok(lines[0]!.includes(file!), lines[0])
  assert.equal(pipeline.totals.records, 1)
})
