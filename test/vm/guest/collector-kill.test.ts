// Runs inside the test VM: `krelay collect` killed with SIGKILL twice while the generator
// runs, restarted each time with the same spool and archive. Every complete sub-buffer is
// spooled before it is acknowledged and the kernel keeps what was not acknowledged, so the
// archive still holds every record exactly once, and nothing is lost.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import type { CollectorProcess } from '../../../cli/collector-process.ts'
import { control, load, unload, waitGeneratorIdle } from './kmod.ts'
import { freshDir, generatorRunning, readArchive, recordsByCpu, seconds, startCollector, stats, stopCollector, waitConsumed } from './demo-lib.ts'

// 90 s of generator at 1000/s per CPU: a restart of node + DuckDB takes 15-30 s under
// single-threaded TCG, and both kills must land while the generator runs. Meanwhile the
// kernel buffers up to 512 sub-buffers of 64 KiB per CPU (the flush closes one per 100 ms:
// about 50 s of records at this rate), so no record has to be dropped.
const N = 90000
const RATE = 1000
// small files and segments: files are published and segments deleted between the kills
const FAST = ['--file-age', '2', '--segment-age', '3', '--segment-size', '1']

test.afterEach(() => unload())

test(`SIGKILL twice during a ${N}-record run: still ${N} records per CPU, no duplicates, no losses`, async () => {
  const out = freshDir('krelay-test-kill-out')
  const spool = freshDir('krelay-test-kill-spool')
  load('subbuf_size=65536', 'n_subbufs=512')
  const t0 = Date.now()
  let c: CollectorProcess = await startCollector(out, spool, FAST, 'collect 1')
  assert.equal(control(`gen ${N} ${RATE}`), 'ok')
  const tGen = Date.now()

  // 1: in the middle of steady collecting
  await sleep(5000)
  assert.ok(generatorRunning(), 'the first kill must happen while the generator runs')
  c.kill('SIGKILL')
  assert.equal((await c.exited).signal, 'SIGKILL')
  const kill1 = Date.now() - tGen
  c = await startCollector(out, spool, FAST, 'collect 2')
  // 2: right after the restart, while it works through the backlog the kernel kept
  await sleep(1500)
  assert.ok(generatorRunning(), 'the second kill must happen while the generator runs')
  c.kill('SIGKILL')
  assert.equal((await c.exited).signal, 'SIGKILL')
  const kill2 = Date.now() - tGen
  c = await startCollector(out, spool, FAST, 'collect 3')

  await waitGeneratorIdle(300_000)
  const genMs = Date.now() - tGen
  await waitConsumed()
  await stopCollector(c)
  const kernel = stats()
  const archive = await readArchive(out)
  for (const row of kernel) {
    assert.equal(row.written, N, `cpu ${row.cpu} written`)
    assert.equal(row.dropped, 0, `cpu ${row.cpu}: the kernel buffer rode out the restarts`)
    assert.equal(recordsByCpu(archive).get(row.cpu), N, `cpu ${row.cpu} records in the archive`)
  }
  assert.equal(archive.records, N * kernel.length)
  assert.equal(archive.duplicates, 0, 'no duplicate (cpu, seq)')
  assert.equal(archive.perCpu.every(p => p.minSeq === 1 && p.maxSeq === N && p.distinctSeqs === N), true, JSON.stringify(archive.perCpu))
  assert.equal(archive.unsortedRows, 0, 'every file sorted by ts')
  assert.deepEqual(archive.losses, [], 'no loss rows')
  process.stdout.write(`    kill -9 at ${seconds(kill1)} and ${seconds(kill2)} into a ${seconds(genMs)} generator run; ` +
    `${archive.records} records in ${archive.recordFiles} files; total ${seconds(Date.now() - t0)}\n`)
})
