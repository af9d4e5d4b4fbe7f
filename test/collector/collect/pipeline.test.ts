import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Pipeline } from '../../../collector/collect/pipeline.ts'
import { DiskFullWait, StoppedWhileFullError } from '../../../collector/disk-full.ts'
import type { ChannelMeta, Consumer } from '../../../collector/collect/consumer.ts'
import type { ReleasedKey } from '../../../formats/live.ts'
import type { LossRow } from '../../../collector/archive/index.ts'
import { recordSeq } from '../../../formats/record.ts'
import { readArchive } from '../../../offline/read-archive.ts'
import { meta, subbufInput } from './subbufs.ts'
import { tempDir } from '../../temp-dir.ts'

interface Dirs { out: string, spool: string }

function dirs (t: TestContext): Dirs {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'krelay-pipeline-'))
  t.after(() => fs.rmSync(out, { recursive: true, force: true }))
  return { out, spool: path.join(out, '.spool') }
}

function open (d: Dirs): Promise<Pipeline> {
  return Pipeline.open({ out: d.out, host: 'test', maxFileBytes: 1 << 20, maxAgeSeconds: 60 }, d.spool)
}

test('records are emitted once every CPU\'s watermark passed them, the rest at close', async (t) => {
  const d = dirs(t)
  const pipeline = await open(d)
  await pipeline.startChannel(meta(), [0, 1])
  pipeline.addSubbuf(subbufInput(0, 1, 1, [10, 30, 50])) // header watermark 51
  pipeline.addSubbuf(subbufInput(1, 1, 1, [20, 40])) // header watermark 41
  await pipeline.round([])
  assert.equal(pipeline.totals.records, 4, 'below 41: ts 10, 20, 30, 40')
  assert.equal(pipeline.mergeStats.emitted, 4)
  await pipeline.round([{ cpu: 1, hi: 0, lo: 60 }])
  assert.equal(pipeline.totals.records, 5, 'cpu 1 at 60: below 51 now, ts 50 too')
  pipeline.addSubbuf(subbufInput(1, 2, 3, [70]))
  await pipeline.close()
  assert.equal(pipeline.totals.records, 6, 'close emits what no watermark passed')
  assert.ok(pipeline.totals.files >= 1)
  const a = await readArchive(d.out)
  assert.equal(a.records, 6)
  assert.equal(a.duplicates, 0)
  assert.deepEqual(a.perCpu.map(c => [c.cpu, c.records, c.minSeq, c.maxSeq]).sort(), [[0, 3, 1, 3], [1, 3, 1, 3]])
})

test('a record that arrives below a CPU\'s watermark is emitted late, and said once per channel', async (t) => {
  const d = dirs(t)
  const pipeline = await open(d)
  const told: Array<[string, number]> = []
  pipeline.onDisorder = (channelId, s) => told.push([channelId, s.late])
  await pipeline.startChannel(meta(), [0, 1])
  pipeline.addSubbuf(subbufInput(0, 1, 1, [10, 30])) // header watermark 31
  pipeline.addSubbuf(subbufInput(1, 1, 1, [20, 40])) // header watermark 41
  await pipeline.round([])
  assert.deepEqual(told, [], 'in order: nothing said')
  pipeline.addSubbuf(subbufInput(1, 2, 3, [25])) // below cpu 1's watermark: 30 was emitted
  pipeline.addSubbuf(subbufInput(0, 2, 3, [26]))
  await pipeline.round([{ cpu: 0, hi: 0, lo: 100 }, { cpu: 1, hi: 0, lo: 100 }])
  assert.equal(pipeline.mergeStats.late, 2)
  assert.deepEqual(told, [[meta().channelId, 2]])
  pipeline.addSubbuf(subbufInput(0, 3, 4, [27]))
  await pipeline.round([])
  assert.equal(told.length, 1, 'once per channel')
  await pipeline.close()
})

test('records at or below the last seq queued on their CPU are skipped', async (t) => {
  const d = dirs(t)
  const pipeline = await open(d)
  await pipeline.startChannel(meta(), [0])
  pipeline.addSubbuf(subbufInput(0, 1, 1, [10, 20, 30]))
  pipeline.addSubbuf(subbufInput(0, 1, 1, [10, 20, 30]))
  pipeline.addSubbuf(subbufInput(0, 2, 2, [20, 30, 40, 50]))
  await pipeline.close()
  assert.equal(pipeline.totals.skipped, 5)
  assert.equal(pipeline.totals.records, 5)
  const a = await readArchive(d.out)
  assert.equal(a.records, 5)
  assert.equal(a.duplicates, 0)
})

test('a pipeline opened again on the same spool skips what the archive holds', async (t) => {
  const d = dirs(t)
  const first = await open(d)
  await first.startChannel(meta(), [0])
  first.addSubbuf(subbufInput(0, 1, 1, [10, 20, 30]))
  await first.close()
  const again = await open(d)
  await again.startChannel(meta(), [0])
  again.addSubbuf(subbufInput(0, 1, 1, [10, 20, 30]))
  again.addSubbuf(subbufInput(0, 2, 4, [40]))
  await again.close()
  assert.equal(again.totals.skipped, 3)
  assert.equal(again.totals.records, 1)
  const a = await readArchive(d.out)
  assert.equal(a.records, 4)
  assert.equal(a.duplicates, 0)
})

test('a loss is one loss row; the same loss seen again is not appended twice', async (t) => {
  const d = dirs(t)
  const pipeline = await open(d)
  await pipeline.startChannel(meta(), [0])
  pipeline.addSubbuf(subbufInput(0, 1, 1, [10, 20, 30]))
  const dropped = { cpu: 0, subbufSeq: 2, firstSeq: 4, count: 3, reason: 'dropped' as const }
  pipeline.addSubbuf(subbufInput(0, 2, 7, [70], [dropped]))
  pipeline.addSubbuf(subbufInput(0, 2, 7, [70], [dropped]))
  await pipeline.close()
  assert.equal(pipeline.totals.losses, 1)
  assert.equal(pipeline.totals.lostRecords, 3)
  const a = await readArchive(d.out)
  assert.deepEqual(a.losses.map(l => [l.cpu, l.reason, l.rows, l.count, l.firstSeq]), [[0, 'dropped', 1, 3, 4]])
  assert.equal(a.lossOverlaps, 0)
  assert.equal(a.badLossRanges, 0)
  assert.equal(pipeline.lossesPublished, true)
})

test('reloaded: one reload row per CPU, after its last record, counting nothing', async (t) => {
  const d = dirs(t)
  const pipeline = await open(d)
  await pipeline.startChannel(meta(), [0, 1])
  pipeline.addSubbuf(subbufInput(0, 1, 1, [10, 20]))
  pipeline.addSubbuf(subbufInput(1, 1, 5, [15]))
  await pipeline.finishChannel()
  pipeline.reloaded()
  await pipeline.close()
  assert.equal(pipeline.totals.losses, 2)
  assert.equal(pipeline.totals.lostRecords, 0)
  const a = await readArchive(d.out)
  assert.deepEqual(a.losses.map(l => [l.cpu, l.reason, l.rows, l.count, l.firstSeq]).sort(), [[0, 'reload', 1, 0, 3], [1, 'reload', 1, 0, 6]])
})

test('rows before any channel started are refused', async (t) => {
  const pipeline = await open(dirs(t))
  assert.throws(() => pipeline.addSubbuf(subbufInput(0, 1, 1, [10])), /no channel started/)
  await pipeline.close()
})

/** A consumer that notes what it is given: 'c<id>', '<cpu>/<seq>', 'l<cpu>:<count>', '|' at each release's end. */
class Recorder implements Consumer {
  readonly got: string[] = []
  channel (m: ChannelMeta, r?: ReleasedKey): void { this.got.push(`c${m.channelId}${r === undefined ? '' : ` after ${r.cpu}/${r.seq} at ${r.tsHi}:${r.tsLo}`}`) }
  record (view: DataView, off: number, cpu: number): void { this.got.push(`${cpu}/${recordSeq(view, off)}`) }
  loss (row: LossRow): void { this.got.push(`l${row.cpu}:${row.count}`) }
  released (): void { if (this.got.at(-1) !== '|') this.got.push('|') }
}

test('consumers after the archive get the channel, the records in order, the losses and the end of each release', async (t) => {
  const d = dirs(t)
  const pipeline = await open(d)
  const early = new Recorder()
  pipeline.addConsumer(early)
  await pipeline.startChannel(meta(), [0, 1])
  const late = new Recorder()
  pipeline.addSubbuf(subbufInput(0, 1, 1, [10, 30]))
  pipeline.addConsumer(late)
  pipeline.addSubbuf(subbufInput(1, 1, 1, [20], [{ cpu: 1, subbufSeq: 1, firstSeq: 2, count: 2, reason: 'dropped' }]))
  await pipeline.round([{ cpu: 1, hi: 0, lo: 25 }])
  pipeline.removeConsumer(early)
  const later = new Recorder()
  pipeline.addConsumer(later)
  await pipeline.close()
  assert.deepEqual(early.got, ['c0123456789abcdef', 'l1:2', '0/1', '1/1', '|'])
  assert.deepEqual(late.got, ['c0123456789abcdef', 'l1:2', '0/1', '1/1', '|', '0/2', '|'], 'joined mid-channel: told the channel first')
  assert.deepEqual(later.got, ['c0123456789abcdef after 1/1 at 0:20', '0/2', '|'], 'told the last record released before it joined')
  assert.equal((await readArchive(d.out)).records, 3)
})

test('when the archive has no room for a record, later consumers see it once, after the publish', async (t) => {
  const d = dirs(t)
  const pipeline = await Pipeline.open({ out: d.out, host: 'test', maxFileBytes: 256, maxAgeSeconds: 60, maxStagedBytes: 300 }, d.spool)
  const r = new Recorder()
  pipeline.addConsumer(r)
  await pipeline.startChannel(meta(), [0])
  pipeline.addSubbuf(subbufInput(0, 1, 1, [10, 20, 30, 40, 50, 60, 70, 80]))
  await pipeline.close()
  assert.ok(pipeline.totals.files > 1, 'the staging area filled up and was published in between')
  assert.deepEqual(r.got.filter(e => /^\d/.test(e)), ['0/1', '0/2', '0/3', '0/4', '0/5', '0/6', '0/7', '0/8'])
  assert.equal((await readArchive(d.out)).records, 8)
})

test('files sealed during a round are published without waiting for a publishDue or the close', async (t) => {
  const d = dirs(t)
  // about 60 bytes a row: a file is sealed every 5 rows
  const pipeline = await Pipeline.open({ out: d.out, host: 'test', maxFileBytes: 256, maxAgeSeconds: 60 }, d.spool)
  await pipeline.startChannel(meta(), [0])
  pipeline.addSubbuf(subbufInput(0, 1, 1, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]))
  await pipeline.round([])
  await pipeline.settled()
  assert.ok(pipeline.totals.files >= 1, 'the sealed files were published')
  const rows = pipeline.published.reduce((n, p) => n + p.rows, 0)
  assert.ok(rows < 12, `the open file (not full, not old) waits: ${rows} rows published`)
  assert.equal((await readArchive(d.out)).records, rows)
  await pipeline.close()
  assert.equal((await readArchive(d.out)).records, 12)
})

/** A small tmpfs for `out`, filled up; undefined where no tmpfs can be mounted (not root). */
function fullTmpfs (t: TestContext): { out: string, filler: string } | undefined {
  const out = tempDir('krelay-pipeline-full-')
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', out], { stdio: 'ignore' })
  } catch {
    return undefined
  }
  t.after(() => execFileSync('umount', ['-l', out]))
  const filler = path.join(out, 'filler')
  const fd = fs.openSync(filler, 'w')
  for (const block of [Buffer.alloc(1 << 16), Buffer.alloc(512)]) {
    for (;;) {
      try { fs.writeSync(fd, block) } catch { break }
    }
  }
  fs.closeSync(fd)
  return { out, filler }
}

const visibleParquet = (f: string): boolean => f.endsWith('.parquet') && !path.basename(f).startsWith('.')

function walk (dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true }).map(String)
}

test('with a DiskFullWait, a full archive disk is waited out: said once, the rows kept, published once there is room, no .partial left', async (t) => {
  const full = fullTmpfs(t)
  if (full === undefined) { t.skip('cannot mount a tmpfs here (needs root)'); return }
  const spool = tempDir('krelay-pipeline-spool-')
  const lines: string[] = []
  const wait = new DiskFullWait(line => lines.push(line), 'archiving waits', 'it stays in the spool', undefined, 50)
  const pipeline = await Pipeline.open({ out: full.out, host: 'test', maxFileBytes: 1 << 20, maxAgeSeconds: 60 }, spool, wait)
  await pipeline.startChannel(meta(), [0])
  pipeline.addSubbuf(subbufInput(0, 1, 1, [10, 20, 30]))
  const closing = pipeline.close()
  while (lines.length === 0) await new Promise(resolve => setTimeout(resolve, 10))
  await new Promise(resolve => setTimeout(resolve, 300)) // several retries
  assert.equal(lines.length, 1, lines.join('\n'))
  assert.match(lines[0]!, new RegExp(`^disk full: cannot write ${full.out}/records/host=test/date=[0-9-]+/hour=\\d\\d/[^/]+\\.parquet: no space left on device \\(ENOSPC\\)`))
  assert.deepEqual(walk(full.out).filter(visibleParquet), [], 'no Parquet file visible while full (a .partial one is hidden and may be under way)')
  fs.rmSync(full.filler)
  await closing
  assert.match(lines[1] ?? '', /^disk space is back: wrote .*\.parquet after waiting \d+\.\d s$/)
  assert.equal(lines.length, 2)
  const a = await readArchive(full.out)
  assert.equal(a.records, 3)
  assert.deepEqual(walk(full.out).filter(f => f.endsWith('.partial')), [])
})

test('a stop while the archive disk is full ends the wait at once with StoppedWhileFullError', async (t) => {
  const full = fullTmpfs(t)
  if (full === undefined) { t.skip('cannot mount a tmpfs here (needs root)'); return }
  const spool = tempDir('krelay-pipeline-spool-')
  const stop = new AbortController()
  const lines: string[] = []
  const wait = new DiskFullWait(line => lines.push(line), 'archiving waits', 'what was not archived stays in the spool', stop.signal, 60_000)
  const pipeline = await Pipeline.open({ out: full.out, host: 'test', maxFileBytes: 1 << 20, maxAgeSeconds: 60 }, spool, wait)
  await pipeline.startChannel(meta(), [0])
  pipeline.addSubbuf(subbufInput(0, 1, 1, [10, 20, 30]))
  const closing = pipeline.close().then(() => null, (err: unknown) => err)
  while (lines.length === 0) await new Promise(resolve => setTimeout(resolve, 10))
  const t0 = performance.now()
  stop.abort()
  const err = await closing
  assert.ok(err instanceof StoppedWhileFullError, String(err))
  assert.match(err.message, /^stopped while the filesystem of .*\.parquet is full: what was not archived stays in the spool$/)
  assert.ok(performance.now() - t0 < 5000, 'the 60 s retry did not hold up the stop')
  assert.deepEqual(walk(full.out).filter(f => visibleParquet(f) || f.endsWith('.partial')), [], 'nothing is left')
})
