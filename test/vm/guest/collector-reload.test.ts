// Runs inside the test VM: the module unloaded and loaded again under `krelay collect
// --follow`. The collector reads the old channel to its end, waits, attaches to the new one; the
// archive holds both channels' records (distinct channel_id) and a `reload` loss row per
// CPU marks where the old channel's stream ended.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { control, info, load, unload, waitGeneratorIdle } from './kmod.ts'
import { freshDir, readArchive, seconds, startCollector, stopCollector, waitConsumed, waitLine } from './demo-lib.ts'
import { segmentsIn } from '../../../cli/demo/collector-process.ts'
import { setTimeout as sleep } from 'node:timers/promises'

const N1 = 5000
const N2 = 3000

test.afterEach(() => unload())

test('rmmod and insmod under krelay collect --follow: both channels archived, a reload row marks the gap', async () => {
  const out = freshDir('krelay-test-reload-out')
  const spool = freshDir('krelay-test-reload-spool')
  const t0 = Date.now()
  load()
  const first = info().get('channel_id')!
  const cpus = info().get('cpus')!.split(' ').map(Number)
  const c = await startCollector(out, spool, ['--follow'], 'collect')
  assert.equal(control(`gen ${N1} 0`), 'ok')
  await waitGeneratorIdle()
  assert.equal(control('flush'), 'ok')
  await waitConsumed()

  unload()
  await waitLine(c, /waiting for the krelay module/)
  load()
  const second = info().get('channel_id')!
  assert.notEqual(second, first)
  const deadline = Date.now() + 60_000
  while (!segmentsIn(spool).some(f => f.includes(second))) {
    assert.ok(Date.now() < deadline, `the collector did not attach to channel ${second}:\n${c.output()}`)
    assert.ok(c.running, `krelay collect exited:\n${c.output()}`)
    await sleep(100)
  }
  assert.equal(control(`gen ${N2} 0`), 'ok')
  await waitGeneratorIdle()
  assert.equal(control('flush'), 'ok')
  await waitConsumed()
  await stopCollector(c)

  const archive = await readArchive(out)
  const per = (channel: string, cpu: number) => archive.perCpu.find(p => p.channelId === channel && p.cpu === cpu)
  for (const cpu of cpus) {
    assert.deepEqual(per(first, cpu) && { n: per(first, cpu)!.records, lo: per(first, cpu)!.minSeq, hi: per(first, cpu)!.maxSeq }, { n: N1, lo: 1, hi: N1 }, `channel ${first} cpu ${cpu}`)
    assert.deepEqual(per(second, cpu) && { n: per(second, cpu)!.records, lo: per(second, cpu)!.minSeq, hi: per(second, cpu)!.maxSeq }, { n: N2, lo: 1, hi: N2 }, `channel ${second} cpu ${cpu}`)
    const reload = archive.losses.find(l => l.channelId === first && l.cpu === cpu && l.reason === 'reload')
    assert.ok(reload, `a reload loss row for cpu ${cpu} of channel ${first}: ${JSON.stringify(archive.losses)}`)
    assert.equal(reload.rows, 1)
    assert.equal(reload.firstSeq, N1 + 1, 'first_seq: the first sequence number the old channel never delivered')
    assert.equal(reload.count, 0)
  }
  assert.deepEqual(new Set(archive.perCpu.map(p => p.channelId)), new Set([first, second]))
  assert.equal(archive.records, (N1 + N2) * cpus.length)
  assert.equal(archive.duplicates, 0)
  assert.equal(archive.lostRecords, 0, 'nothing was lost: the reload rows count 0 records')
  assert.ok(archive.losses.every(l => l.reason === 'reload'), JSON.stringify(archive.losses))
  process.stdout.write(`    reload: channels ${first} -> ${second}, ${archive.records} records, loss rows ${JSON.stringify(archive.losses)}; total ${seconds(Date.now() - t0)}\n`)
})
