// Runs inside the test VM: a collector lapped by the real module. The module takes acks
// only from the process that holds the claim (PROTOCOL.md §6.1), and every thread of it
// may acknowledge; so the collector runs in this process, and this process, while the
// collector's thread is held up, acknowledges cpu 0's sub-buffers as they complete, as a
// second consumer would. The kernel then reuses slots the collector has not read. The
// collector must notice within one pass, log it once, archive the skipped range as
// `collector` loss rows between the records on either side, and go on archiving; records
// + losses account for every sequence number of every CPU.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { collect } from '../../../collector/collect/collect.ts'
import { seqCover } from '../../../offline/seq-cover.ts'
import { readLossRows } from '../../loss-rows.ts'
import { consumer, waitConsumer } from './claim-lib.ts'
import { DIR, control, info, load, unload, waitGeneratorIdle } from './kmod.ts'
import { freshDir, stats, waitConsumed } from './demo-lib.ts'

// long enough that the generator still runs when the collector is held, on a slow TCG guest
const N = 30000
const RATE = 2000
const hold = new Int32Array(new SharedArrayBuffer(4))

/** the collector of a test that failed half-way: stopped before the module goes */
let started: { stop: AbortController, running: Promise<unknown> } | null = null

test.afterEach(async () => {
  if (started) {
    started.stop.abort()
    await started.running.catch(() => {})
    started = null
  }
  unload()
})

test(`a collector lapped by another acknowledger: one log line, collector loss rows with the skipped range, records + losses == ${N} per CPU`, async () => {
  const out = freshDir('krelay-test-lapped-out')
  load('subbuf_size=16384', 'n_subbufs=4')
  const stop = new AbortController()
  const lines: string[] = []
  const worker = { ready: false }
  const running = collect({
    channelDir: DIR,
    out,
    spoolDir: `${out}/.spool`,
    host: 'guest',
    fsync: 'never',
    segmentBytes: 1 << 20,
    segmentAgeMs: 60_000,
    maxFileBytes: 1 << 20,
    maxAgeSeconds: 60,
    follow: false,
    signal: stop.signal,
    log: line => { lines.push(line) },
    onReady: () => { worker.ready = true },
  })
  started = { stop, running }
  await waitConsumer(process.pid, 'krelay-collect')
  for (const deadline = Date.now() + 300_000; !worker.ready;) {
    assert.ok(Date.now() < deadline, 'the archive worker did not start within 300 s')
    await sleep(100)
  }
  assert.equal(control(`gen ${N} ${RATE}`), 'ok')
  // the collector is archiving before the lap (a slow TCG guest may take a while)
  for (const deadline = Date.now() + 120_000; stats().find(r => r.cpu === 0)!.consumed < 2;) {
    assert.ok(Date.now() < deadline, 'the collector acknowledged nothing of cpu 0 within 120 s')
    await sleep(100)
  }
  const before = stats().find(r => r.cpu === 0)!
  assert.equal(info().get('generator'), 'running', 'the generator still writes when the collector is held')

  // The lap: the collector's thread is held (Atomics.wait) for 1.5 s, during which this
  // thread of the claim's holder acknowledges every sub-buffer cpu 0 completes.
  let acked = 0
  for (const until = Date.now() + 1500; Date.now() < until;) {
    const row = stats().find(r => r.cpu === 0)!
    if (row.produced > row.consumed) {
      assert.equal(control(`ack 0 ${row.produced}`), 'ok')
      acked = row.produced
    }
    Atomics.wait(hold, 0, 0, 20)
  }
  assert.ok(acked > before.consumed + 1, `sub-buffers of cpu 0 completed and were acknowledged behind the collector (${before.consumed} -> ${acked})`)

  await waitGeneratorIdle(120_000)
  assert.equal(control('flush'), 'ok')
  await waitConsumed()
  assert.deepEqual(consumer(), { pid: process.pid, name: 'krelay-collect' }, 'the collector still holds the channel')
  stop.abort()
  const summary = await running
  const kernel = stats()

  // the lap line, not a publish line whose path (krelay-test-lapped-out) holds the word
  const laps = lines.filter(l => /^cpu \d+: lapped: /.test(l))
  assert.equal(laps.length, 1, `one lap, one line:\n${lines.join('\n')}`)
  assert.match(laps[0]!, /^cpu 0: lapped: \d+ sub-buffers? \(\d+\.\.\d+\) were gone before this consumer took them: another process acknowledged them/)

  const cpus = await seqCover(out)
  assert.deepEqual(cpus.map(c => c.cpu), kernel.map(r => r.cpu))
  for (const c of cpus) {
    assert.deepEqual({ cpu: c.cpu, first: c.first, last: c.last, gaps: c.gaps, overlaps: c.overlaps, sum: c.records + c.lost },
      { cpu: c.cpu, first: 1, last: N, gaps: 0, overlaps: 0, sum: N }, `records + losses account for every seq: ${c.problem ?? ''}`)
  }
  const losses = await readLossRows(out)
  const lapped = losses.filter(l => l.reason === 'collector')
  assert.equal(lapped.length, 1, JSON.stringify(losses))
  const [row] = lapped
  assert.equal(row!.cpu, 0)
  assert.ok(row!.neighbours, `ts_from and ts_to are the records on either side: ${JSON.stringify(row)}`)
  assert.ok(row!.count > 0)
  // nothing else was lost to the lap: the other losses are exactly the kernel's drops
  for (const r of kernel) {
    const dropped = losses.filter(l => l.cpu === r.cpu && l.reason === 'dropped').reduce((s, l) => s + l.count, 0)
    if (r.cpu !== 0) assert.equal(dropped, r.dropped, `cpu ${r.cpu}: dropped loss rows == the kernel's dropped`)
    else assert.ok(dropped <= r.dropped)
  }
  assert.ok(losses.every(l => l.reason === 'collector' || l.reason === 'dropped'), JSON.stringify(losses))
  const cpu0 = cpus.find(c => c.cpu === 0)!
  // (a slow guest's collector may fall behind again after it and drop the last few)
  assert.ok(cpu0.lastRecord > row!.firstSeq + row!.count, `it went on archiving after the lap: last record ${cpu0.lastRecord}, lap ${JSON.stringify(row)}`)
  assert.equal(summary.lostRecords, losses.reduce((s, l) => s + l.count, 0), 'the summary counts every lost record')
})
