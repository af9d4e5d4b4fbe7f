// krelay archive --from: a capture written by the collector's SpoolWriter from synthetic
// sub-buffers, archived offline and read back with DuckDB: exact counts, losses, the
// capture's host name, and a second run that archives nothing twice.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { readArchive } from '../../offline/read-archive.ts'
import { STATE_DIR_NAME } from '../../cli/archive.ts'
import { readSegment } from '../../collector/spool/spool-reader.ts'
import { FRAME_HDR_SIZE } from '../../formats/capture-frame.ts'
import { CHANNEL_A, writeCapture, type CaptureTruth } from './capture.ts'
import { tempDir } from '../temp-dir.ts'
import { krelay } from './run.ts'

const tmp = (): string => tempDir('krelay-cli-archive-')

/** Every file under dir with its size and mtime, to prove the capture is only read. */
function snapshot (dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort().map(f => {
    const st = fs.statSync(path.join(dir, f))
    return `${f} ${st.size} ${st.mtimeMs}`
  })
}

async function expectArchive (out: string, truth: CaptureTruth, host: string): Promise<void> {
  const a = await readArchive(out)
  const got = new Map(a.perCpu.map(p => [`${p.channelId}/${p.cpu}`, p.records]))
  assert.deepEqual(got, truth.records)
  assert.equal(a.duplicates, 0)
  assert.equal(a.unsortedRows, 0)
  assert.equal(a.unsortedKeyRows, 0)
  assert.deepEqual(a.losses, [{ channelId: CHANNEL_A, cpu: 1, reason: 'dropped', rows: 1, count: truth.lost, firstSeq: 3 * truth.perSubbuf + 1 }])
  assert.deepEqual(a.hosts, [host])
}

test('archive --from a capture: exact records and losses, host from the capture, a re-run adds nothing', async () => {
  const dir = tmp()
  const spool = path.join(dir, 'spool')
  const out = path.join(dir, 'out')
  const truth = writeCapture(spool, { host: 'capture-host-1', perSubbuf: 20, subbufsA: 10, dropped: 7 })
  const total = [...truth.records.values()].reduce((a, b) => a + b, 0)
  assert.equal(total, 2 * 200 + 2 * 60)
  const before = snapshot(spool)

  const r1 = krelay(['archive', '--from', spool, '--out', out])
  assert.equal(r1.status, 0, r1.stderr)
  assert.match(r1.stdout, new RegExp(`^krelay archive: ${total} records archived, 7 records lost in 1 loss rows, \\d+ files in ${out} \\(host capture-host-1\\), from 3 segments, 26 sub-buffers\\n$`))
  assert.equal(r1.stderr, '')
  await expectArchive(out, truth, 'capture-host-1')
  assert.ok(fs.existsSync(path.join(out, STATE_DIR_NAME, 'state.json')), 'state outside the capture')
  assert.deepEqual(snapshot(spool), before, 'the capture is only read')
  const files = (await readArchive(out))

  const r2 = krelay(['archive', '--from', spool, '--out', out])
  assert.equal(r2.status, 0, r2.stderr)
  assert.match(r2.stdout, new RegExp(`^krelay archive: 0 records archived \\(${total} already archived skipped\\), 0 records lost in 0 loss rows, 0 files`))
  await expectArchive(out, truth, 'capture-host-1')
  const again = await readArchive(out)
  assert.equal(again.recordFiles, files.recordFiles)
  assert.equal(again.lossFiles, files.lossFiles)
})

test('archive --host overrides the capture\'s host name; a capture host that cannot be a partition asks for --host', async () => {
  const dir = tmp()
  const spool = path.join(dir, 'spool')
  const truth = writeCapture(spool, { host: 'héte-1', perSubbuf: 5, subbufsA: 4, dropped: 3 })
  const refused = krelay(['archive', '--from', spool, '--out', path.join(dir, 'out1')])
  assert.equal(refused.status, 2)
  assert.match(refused.stderr, /^krelay archive: the capture's host name "héte-1" cannot be the host= partition .*: pass --host NAME\n$/)
  const out = path.join(dir, 'out2')
  const r = krelay(['archive', '--from', spool, '--out', out, '--host', 'renamed'])
  assert.equal(r.status, 0, r.stderr)
  await expectArchive(out, truth, 'renamed')
})

test('archive --from a directory without segments, or --out inside the capture: refused', () => {
  const dir = tmp()
  const empty = path.join(dir, 'empty')
  fs.mkdirSync(empty)
  const r = krelay(['archive', '--from', empty, '--out', path.join(dir, 'out')])
  assert.equal(r.status, 1)
  assert.match(r.stderr, /holds no capture segments \(\*\.krcap\): is it a krelay spool directory\?\n$/)
  const spool = path.join(dir, 'spool')
  writeCapture(spool, { host: 'h', perSubbuf: 1, subbufsA: 1, dropped: 0 })
  const inside = krelay(['archive', '--from', spool, '--out', path.join(spool, 'out')])
  assert.equal(inside.status, 2)
  assert.match(inside.stderr, /must not be inside the capture/)
})

test('a capture larger than the staging limit (tiny --file-size) is archived whole', async () => {
  // --file-size 0.02 MiB: maxStagedBytes is 4 x 20 KiB, and the capture holds ~1 MB of rows
  const dir = tmp()
  const spool = path.join(dir, 'spool')
  const out = path.join(dir, 'out')
  const truth = writeCapture(spool, { host: 'big', perSubbuf: 50, subbufsA: 120, dropped: 11 })
  const r = krelay(['archive', '--from', spool, '--out', out, '--file-size', '0.02'])
  assert.equal(r.status, 0, r.stderr)
  await expectArchive(out, truth, 'big')
})

// The pipeline itself, as `krelay archive` drives it: a staging limit far below the
// capture's size makes the merge wait for publishes (backpressure), and nothing is left
// behind in the merge at close.
test('Pipeline + replaySpool with a staging limit smaller than the capture archive every record', async () => {
  const { Pipeline } = await import('../../collector/collect/pipeline.ts')
  const { replaySpool } = await import('../../collector/collect/replay.ts')
  const dir = tmp()
  const spool = path.join(dir, 'spool')
  const out = path.join(dir, 'out')
  const truth = writeCapture(spool, { host: 'big', perSubbuf: 50, subbufsA: 120, dropped: 11 })
  const pipeline = await Pipeline.open({ out, host: 'big', maxFileBytes: 20_000 }, path.join(dir, 'state'))
  await replaySpool(spool, pipeline)
  await pipeline.close()
  await expectArchive(out, truth, 'big')
})

test('archive --from a damaged capture: exit 0, the damage named once on stderr with the file and offset, its records a corrupt loss row', async () => {
  const dir = tmp()
  const spool = path.join(dir, 'spool')
  const out = path.join(dir, 'out')
  const truth = writeCapture(spool, { host: 'h', perSubbuf: 10, subbufsA: 4, dropped: 0 })
  // the last sub-buffer of the first segment (cpu 1, records 11-20): one bit of a record flipped
  const file = path.join(spool, '0000000001-0123456789abcdef.krcap')
  const entries = readSegment(file)!.subbufs
  assert.deepEqual(entries.map(e => [e.cpu, e.seq]), [[0, 1], [1, 1], [0, 2], [1, 2]])
  const from = entries[3]!.offset - FRAME_HDR_SIZE
  const bytes = fs.readFileSync(file)
  const to = bytes.length
  bytes[entries[3]!.offset + 80 + 60] = bytes[entries[3]!.offset + 80 + 60]! ^ 0x10
  fs.writeFileSync(file, bytes)
  const r = krelay(['archive', '--from', spool, '--out', out])
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, /; damage skipped: 1 spans in segments, 0 segments with a bad header/)
  assert.equal(r.stderr, `krelay archive: ${file}: bytes ${from}..${to} are damaged (CRC mismatch): skipped to byte ${to}; ` +
    'what they held is archived as corrupt loss rows where the records after them show how much\n')
  const a = await readArchive(out)
  const got = new Map(a.perCpu.map(p => [`${p.channelId}/${p.cpu}`, p.records]))
  assert.deepEqual(got, new Map([...truth.records].map(([k, n]) => [k, k === `${CHANNEL_A}/1` ? n - 10 : n])))
  // the next record of cpu 1 (21, in the next segment) shows the gap
  assert.deepEqual(a.losses, [{ channelId: CHANNEL_A, cpu: 1, reason: 'corrupt', rows: 1, count: 10, firstSeq: 11 }])
  assert.equal(a.duplicates + a.lossOverlaps, 0)
})
