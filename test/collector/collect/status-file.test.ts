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
  s.archiveReport({ resources: { Timeout: 2, MessagePort: 1 }, totals: { records: 20, losses: 1, lostRecords: 2, skipped: 0, files: 3 } })
  const keep = setTimeout(() => {}, 10_000) // one timer of this thread that the file must count
  await sleep(1200)
  const second = read(s.file)
  assert.ok(second.updated_at > first.updated_at)
  assert.deepEqual(second.cpus, [{ cpu: 0, subbufs: 2, records: 7, dropped: 0, bytes: 448 }, { cpu: 1, subbufs: 2, records: 15, dropped: 2, bytes: 960 }])
  assert.deepEqual(heard.at(-1), second, 'onStatus hears what is written')
  assert.deepEqual(second.archive, { records: 20, losses: 1, lost_records: 2, skipped: 0, files: 3 })
  assert.deepEqual(second.resources.archive, { Timeout: 2, MessagePort: 1 })
  assert.ok((second.resources.capture.Timeout ?? 0) >= 1, JSON.stringify(second.resources))
  assert.equal(second.timers, (second.resources.capture.Timeout ?? 0) + 2)
  assert.equal(second.handles, Object.values(second.resources.capture).reduce((a, b) => a + b, 0) + 3)
  assert.ok(asked >= 2)
  clearTimeout(keep)

  s.channel('fedcba9876543210')
  s.stop({ records: 22, losses: 1, lostRecords: 2, skipped: 0, files: 4 })
  const last = read(s.file)
  assert.equal(last.state, 'stopped')
  assert.equal(heard.at(-1)?.state, 'stopped', 'onStatus hears the last snapshot too')
  assert.equal(last.channel_id, 'fedcba9876543210')
  assert.deepEqual(last.cpus, [], 'a new channel counts from zero')
  assert.equal(last.archive?.records, 22)
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
  stop.abort()
  await running
  stopServing()
  const end = read(file)
  assert.equal(end.state, 'stopped')
  assert.deepEqual(end.archive, { records: 6000, losses: 0, lost_records: 0, skipped: 0, files: end.archive?.files })
  assert.ok((end.archive?.files ?? 0) >= 1)
  sim.destroy()
})
