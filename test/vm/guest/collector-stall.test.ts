// Runs inside the test VM: a collector that stops reading (SIGSTOP) in front of a tiny kernel
// buffer. Every record the kernel drops must show up in the losses dataset, per CPU,
// exactly as many as the module's `dropped` counter; records + losses account for every
// sequence number.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { control, load, unload, waitGeneratorIdle } from './kmod.ts'
import { freshDir, lostByCpu, readArchive, recordsByCpu, seconds, startCollector, stats, stopCollector, waitConsumed } from './demo-lib.ts'

const N = 20000
const RATE = 5000

test.afterEach(() => unload())

test(`a SIGSTOPped collector behind 2 x 4 KiB: losses == the kernel's dropped, per CPU, records + losses == ${N}`, async () => {
  const out = freshDir('krelay-test-stall-out')
  const spool = freshDir('krelay-test-stall-spool')
  load('subbuf_size=4096', 'n_subbufs=2')
  const t0 = Date.now()
  const c = await startCollector(out, spool, [], 'collect')
  assert.equal(control(`gen ${N} ${RATE}`), 'ok')
  await sleep(1000)
  c.kill('SIGSTOP')
  await waitGeneratorIdle(120_000)
  c.kill('SIGCONT')
  await waitConsumed()
  // No record follows the last drops: the timer's flush, once the collector caught up, or
  // the collector's own flush at stop reports them in a sub-buffer without records (§4).
  await stopCollector(c)

  const kernel = stats()
  const archive = await readArchive(out)
  const lost = lostByCpu(archive)
  const records = recordsByCpu(archive)
  let dropped = 0
  for (const row of kernel) {
    dropped += row.dropped
    assert.ok(row.dropped > 0, `cpu ${row.cpu}: 2 sub-buffers of 4 KiB cannot hold ${N} records while the collector is stopped`)
    assert.equal(row.written + row.dropped, N, `cpu ${row.cpu}: written + dropped`)
    assert.equal(lost.get(row.cpu) ?? 0, row.dropped, `cpu ${row.cpu}: sum(count) of losses == kernel dropped`)
    assert.equal(lostByCpu(archive, 'dropped').get(row.cpu) ?? 0, row.dropped, `cpu ${row.cpu}: all of reason dropped`)
    assert.equal((records.get(row.cpu) ?? 0) + (lost.get(row.cpu) ?? 0), N, `cpu ${row.cpu}: records + losses`)
    assert.equal(records.get(row.cpu), row.written, `cpu ${row.cpu}: every written record archived`)
  }
  assert.equal(archive.duplicates, 0)
  assert.equal(archive.unsortedRows, 0)
  assert.equal(archive.unsortedLossRows, 0)
  process.stdout.write(`    stalled: ${archive.records} records, ${archive.lostRecords} lost in ${archive.losses.reduce((s, l) => s + l.rows, 0)} loss rows ` +
    `(kernel dropped ${dropped}); total ${seconds(Date.now() - t0)}\n`)
})
