// Runs inside the test VM: the module unloaded and loaded again under `krelay collect
// --follow` while the generator writes at a steady rate and the scheduler source records
// fork and exec: the unload stops them mid-stream. The collector reads the old channel to
// its end, waits, attaches to the new one; the archive holds both channels' records
// (distinct channel_id), a `reload` loss row per CPU marks where the old channel's stream
// ended, and every sequence number of both channels is accounted exactly once: the old
// channel's against what the module logged at its unload (its stats are gone by then).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { control, finalCounts, info, load, unload, waitGeneratorIdle } from './kmod.ts'
import { assertExactlyOnce, freshDir, generatorRunning, seconds, startCollector, stats, stopCollector, waitConsumed, waitLine } from './demo-lib.ts'
import { segmentsIn } from '../../../cli/demo/collector-process.ts'

const RATE = 2000
// the first collector of a boot loads DuckDB over 9p: minutes in a TCG guest on a loaded host
const START_MS = 600_000
const PARAMS = ['subbuf_size=65536', 'n_subbufs=64']

test.afterEach(() => unload())

test(`rmmod and insmod under krelay collect --follow while ${RATE} records/s per CPU flow: both channels archived exactly once, a reload row marks the gap`, async () => {
  const out = freshDir('krelay-test-reload-out')
  const spool = freshDir('krelay-test-reload-spool')
  const t0 = Date.now()
  load(...PARAMS)
  const first = info().get('channel_id')!
  const cpus = info().get('cpus')!.split(' ').map(Number)
  const c = await startCollector(out, spool, ['--follow'], 'collect', START_MS)
  assert.equal(control('source sched on'), 'ok')
  assert.equal(control(`gen 1000000000 ${RATE}`), 'ok')
  await sleep(3000)
  const before = stats()
  assert.ok(generatorRunning(), 'the generator still writes at the unload')
  unload()
  const final = finalCounts(first)
  assert.deepEqual(final.map(f => f.cpu), cpus, `the module logged each CPU's last counts at its unload: ${JSON.stringify(final)}`)
  for (const f of final) {
    const b = before.find(r => r.cpu === f.cpu)!
    assert.ok(f.lastSeq > b.written + b.dropped, `cpu ${f.cpu}: records flowed up to the unload (seq ${b.written + b.dropped} 3 s in, ${f.lastSeq} at the unload)`)
    assert.equal(f.written + f.dropped, f.lastSeq, `cpu ${f.cpu}: written + dropped == last seq`)
    assert.equal(f.unreported, 0, `cpu ${f.cpu}: the final flush reported every drop`)
  }
  await waitLine(c, /waiting for the krelay module/)

  load(...PARAMS)
  const second = info().get('channel_id')!
  assert.notEqual(second, first)
  const deadline = Date.now() + 60_000
  while (!segmentsIn(spool).some(f => f.includes(second))) {
    assert.ok(Date.now() < deadline, `the collector did not attach to channel ${second}:\n${c.output()}`)
    assert.ok(c.running, `krelay collect exited:\n${c.output()}`)
    await sleep(100)
  }
  assert.equal(control(`gen ${RATE * 2} ${RATE}`), 'ok')
  await waitGeneratorIdle()
  assert.equal(control('flush'), 'ok')
  await waitConsumed()
  await stopCollector(c)
  const kernel = stats()

  await assertExactlyOnce(out, first, final)
  const archive = await assertExactlyOnce(out, second, kernel)
  for (const f of final) {
    const reload = archive.losses.find(l => l.channelId === first && l.cpu === f.cpu && l.reason === 'reload')
    assert.ok(reload, `a reload loss row for cpu ${f.cpu} of channel ${first}: ${JSON.stringify(archive.losses)}`)
    assert.deepEqual({ rows: reload.rows, firstSeq: reload.firstSeq, count: reload.count }, { rows: 1, firstSeq: f.lastSeq + 1, count: 0 },
      'first_seq: the first sequence number the old channel never delivered')
  }
  assert.deepEqual(new Set(archive.perCpu.map(p => p.channelId)), new Set([first, second]))
  assert.deepEqual(archive.losses.filter(l => l.channelId === second), [], 'nothing lost on the new channel')
  process.stdout.write(`    reload: channel ${first} ended at ${final.map(f => `cpu ${f.cpu} seq ${f.lastSeq} (dropped ${f.dropped})`).join(', ')} -> ${second}, ` +
    `${archive.records} records, loss rows ${JSON.stringify(archive.losses)}; total ${seconds(Date.now() - t0)}\n`)
})
