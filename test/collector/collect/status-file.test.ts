import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { collect } from '../../../collector/collect/collect.ts'
import { StatusFile, type CollectorStatus } from '../../../collector/collect/status-file.ts'
import { createSubbufHeader } from '../../../formats/subbuf-header.ts'
import { RelaySim } from '../../../collector/sim/relay-sim.ts'
import { collectOptions, collectorReading, driveGenerator, serveControl } from './sim-driver.ts'

const read = (file: string): CollectorStatus => JSON.parse(fs.readFileSync(file, 'utf8')) as CollectorStatus

function header (nrecords: number, dropped: number): ReturnType<typeof createSubbufHeader> {
  return Object.assign(createSubbufHeader(), { nrecords, dropped, committed: nrecords * 64 })
}

test('status.json: written at start and every second, counts per CPU, atomically, 0640, stopped at the end', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'krelay-status-'))
  let asked = 0
  const heard: CollectorStatus[] = []
  const s = new StatusFile(dir, { spoolBytes: () => 12345, askArchive: () => { asked++ }, log: line => assert.fail(line), onStatus: x => heard.push(x) })
  s.channel('0123456789abcdef')
  s.start()
  const first = read(s.file)
  assert.equal(first.version, 1)
  assert.equal(first.state, 'running')
  assert.equal(first.pid, process.pid)
  assert.equal(first.channel_id, '0123456789abcdef')
  assert.equal(first.spool_bytes, 12345)
  assert.equal(first.archive, null, 'no report from the archive yet')
  assert.deepEqual(first.cpus, [])
  assert.ok(first.rss_bytes > 10 * 1024 * 1024, String(first.rss_bytes))
  assert.ok(first.open_fds !== null && first.open_fds >= 3, String(first.open_fds))
  assert.equal((fs.statSync(s.file).mode & 0o777), 0o640)
  assert.equal(asked, 1, 'the archive worker is asked at every write')

  s.spooled(1, header(10, 0), true)
  s.spooled(1, header(5, 2), true)
  s.spooled(0, header(7, 0), true)
  s.spooled(0, header(99, 99), false) // a header that failed its check: a sub-buffer, no records
  s.archiveReport({
    resources: { Timeout: 2, MessagePort: 1 },
    totals: { records: 20, losses: 1, lostRecords: 2, skipped: 0, files: 3 },
    pendingSince: null,
    published: { bytes: 4096, lastAt: '2026-11-30T16:11:01.000Z' },
    liveSubscribers: 2,
  })
  const keep = setTimeout(() => {}, 10_000) // one timer of this thread that the file must count
  await sleep(1200)
  const second = read(s.file)
  assert.ok(second.updated_at > first.updated_at)
  assert.deepEqual(second.cpus.map(({ records_per_second: _, ...c }) => c), [{ cpu: 0, subbufs: 2, records: 7, dropped: 0, bytes: 448 }, { cpu: 1, subbufs: 2, records: 15, dropped: 2, bytes: 960 }])
  assert.deepEqual(heard.at(-1), second, 'onStatus hears what is written')
  // 7 and 15 records within the interval since the first write (about 1.2 s)
  const rate = (cpu: number): number => second.cpus.find(c => c.cpu === cpu)!.records_per_second
  assert.ok(rate(0) > 7 / 1.3 && rate(0) <= 7, String(rate(0)))
  assert.ok(rate(1) > 15 / 1.3 && rate(1) <= 15, String(rate(1)))
  assert.deepEqual(second.archive, { records: 20, losses: 1, lost_records: 2, skipped: 0, files: 3, bytes: 4096, last_publish_at: '2026-11-30T16:11:01.000Z' })
  assert.equal(second.merge_lag_ms, 0, 'the worker has taken every pass')
  assert.equal(second.live_subscribers, 2)
  assert.equal(first.merge_lag_ms, null, 'no answer from the worker yet')
  assert.equal(first.live_subscribers, null)
  assert.equal(first.spool_oldest_segment, null, 'no segment in the spool')
  assert.deepEqual(second.resources.archive, { Timeout: 2, MessagePort: 1 })
  assert.ok((second.resources.capture.Timeout ?? 0) >= 1, JSON.stringify(second.resources))
  assert.equal(second.timers, (second.resources.capture.Timeout ?? 0) + 2)
  assert.equal(second.handles, Object.values(second.resources.capture).reduce((a, b) => a + b, 0) + 3)
  assert.ok(asked >= 2)
  clearTimeout(keep)

  s.channel('fedcba9876543210')
  s.stop({ totals: { records: 22, losses: 1, lostRecords: 2, skipped: 0, files: 4 }, published: { bytes: 5000, lastAt: '2026-11-30T16:11:02.000Z' } })
  const last = read(s.file)
  assert.equal(last.state, 'stopped')
  assert.equal(heard.at(-1)?.state, 'stopped', 'onStatus hears the last snapshot too')
  assert.equal(last.channel_id, 'fedcba9876543210')
  assert.deepEqual(last.cpus, [], 'a new channel counts from zero')
  assert.equal(last.archive?.records, 22)
  assert.equal(last.archive?.bytes, 5000)
  assert.equal(last.archive?.last_publish_at, '2026-11-30T16:11:02.000Z')
  assert.deepEqual(fs.readdirSync(dir), ['status.json'], 'no temporary file left')
  const after = fs.statSync(s.file).mtimeMs
  await sleep(1200)
  assert.equal(fs.statSync(s.file).mtimeMs, after, 'nothing writes after stop()')
  fs.rmSync(dir, { recursive: true })
})

test('status.json that cannot be written: said once, the collector goes on, said again when it is written again', () => {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'krelay-status-')), 'gone')
  const lines: string[] = []
  const s = new StatusFile(dir, { spoolBytes: () => 0, askArchive: () => {}, log: line => { lines.push(line) } })
  s.start()
  s.stop()
  assert.equal(lines.length, 1, lines.join('\n'))
  assert.match(lines[0]!, /^cannot write .*status\.json \(ENOENT.*\): the collector goes on/)
  fs.mkdirSync(dir)
  s.stop()
  assert.equal(lines.at(-1), `${s.file} is written again`)
  assert.equal(read(s.file).state, 'stopped')
  fs.rmSync(path.dirname(dir), { recursive: true })
})

test('collect() keeps <spool>/status.json: records spooled per CPU while it runs, the archive\'s totals at the end', async () => {
  const sim = new RelaySim({ cpus: [0, 1], subbufSize: 4096, nSubbufs: 8, flushIntervalMs: 5 })
  const stop = new AbortController()
  const opts = collectOptions(sim, stop.signal)
  const stopServing = serveControl(sim)
  const running = collect(opts)
  await collectorReading(opts.spoolDir)
  await driveGenerator(sim, 3000, 16)
  const file = path.join(opts.spoolDir, 'status.json')
  let running1: CollectorStatus | undefined
  for (let i = 0; i < 50; i++) {
    running1 = read(file)
    if (running1.cpus.reduce((n, c) => n + c.records, 0) === 6000 && running1.archive !== null) break
    await sleep(100)
  }
  assert.equal(running1?.state, 'running')
  assert.deepEqual(running1?.cpus.map(c => [c.cpu, c.records, c.dropped]), [[0, 3000, 0], [1, 3000, 0]])
  assert.ok(running1?.resources.archive !== null, 'the archive worker answered')
  assert.match(running1?.spool_oldest_segment?.file ?? '', /^\d{10}-[0-9a-f]{16}\.krcap$/)
  assert.ok(fs.existsSync(path.join(opts.spoolDir, running1!.spool_oldest_segment!.file)))
  assert.ok(running1!.merge_lag_ms !== null && running1!.merge_lag_ms >= 0 && running1!.merge_lag_ms < 5000, String(running1?.merge_lag_ms))
  assert.equal(running1?.live_subscribers, null, 'no live stream')
  const t0 = Date.now()
  stop.abort()
  await running
  stopServing()
  const end = read(file)
  assert.equal(end.state, 'stopped')
  // the records are in the simulator's hours (its clock starts in 2026-03); the datasets' zero-row
  // files (empty-file.ts), which are not published files, are in the hour the collector started
  const files = parquetFiles(opts.out).filter(f => !f.includes(`/date=${new Date().toISOString().slice(0, 10)}/`))
  assert.deepEqual(end.archive, {
    records: 6000,
    losses: 0,
    lost_records: 0,
    skipped: 0,
    files: files.length,
    bytes: files.reduce((n, f) => n + fs.statSync(f).size, 0),
    last_publish_at: end.archive?.last_publish_at,
  })
  assert.ok((end.archive?.files ?? 0) >= 1)
  const last = Date.parse(end.archive!.last_publish_at!)
  assert.ok(last >= t0 - 100 && last <= Date.now(), `${end.archive?.last_publish_at}: the last publish was at the stop`)
  sim.destroy()
})

test('status.json: records_per_second follows the rate, merge_lag_ms grows while the archive is held and is 0 once it caught up', async () => {
  const sim = new RelaySim({ cpus: [0, 1], subbufSize: 4096, nSubbufs: 64, flushIntervalMs: 5 })
  const stop = new AbortController()
  const gate = new Int32Array(new SharedArrayBuffer(4))
  const opts = collectOptions(sim, stop.signal, { archiveGate: gate })
  const stopServing = serveControl(sim)
  const running = collect(opts)
  await collectorReading(opts.spoolDir)
  const file = path.join(opts.spoolDir, 'status.json')
  Atomics.store(gate, 0, 1)
  let done = false
  const drive = driveGenerator(sim, 15_000, 8).finally(() => { done = true })
  let maxRate = 0
  for (;;) {
    maxRate = Math.max(maxRate, ...read(file).cpus.map(c => c.records_per_second))
    if (done) break
    await sleep(100)
  }
  await drive
  assert.ok(maxRate > 100, `records_per_second seen while the generator wrote: ${maxRate}`)
  await sleep(2500)
  const held = read(file)
  assert.ok(held.merge_lag_ms !== null && held.merge_lag_ms >= 2000, `merge_lag_ms while the archive is held: ${held.merge_lag_ms}`)
  assert.deepEqual(held.cpus.map(c => c.records_per_second), [0, 0], 'nothing spooled in the last second')
  Atomics.store(gate, 0, 0)
  let caught: CollectorStatus | undefined
  for (let i = 0; i < 100; i++) {
    caught = read(file)
    // the merge keeps a CPU's last records until the other CPU's watermark passes them
    if (caught.merge_lag_ms === 0 && (caught.archive?.records ?? 0) >= 29_000) break
    await sleep(100)
  }
  assert.equal(caught?.merge_lag_ms, 0)
  assert.ok((caught?.archive?.records ?? 0) >= 29_000, String(caught?.archive?.records))
  stop.abort()
  await running
  stopServing()
  assert.equal(read(file).archive?.records, 30_000)
  sim.destroy()
})

function parquetFiles (dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter(f => f.endsWith('.parquet')).map(f => path.join(dir, f))
}
