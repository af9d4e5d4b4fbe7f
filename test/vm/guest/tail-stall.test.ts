// Runs inside the test VM: `krelay tail --json` when someone cannot keep up. A stopped tail
// costs the collector, the archive and the kernel nothing, and is told how many records it
// missed; a stopped collector's losses reach the tail where they happened, with the
// kernel's own drop counts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { control, info, load, unload, waitGeneratorIdle } from './kmod.ts'
import { freshDir, lostByCpu, readArchive, recordsByCpu, seconds, startCollector, stats, stopCollector, waitConsumed } from './demo-lib.ts'
import { before, exitedCleanly, isRecord, jsonLines, key, startTails } from './tail-lib.ts'

test.afterEach(() => unload())

/** Runs the generator to its end and waits until the collector acknowledged everything. */
async function generate (records: number, rate: number): Promise<void> {
  assert.equal(control(`gen ${records} ${rate}`), 'ok')
  await waitGeneratorIdle()
  assert.equal(control('flush'), 'ok')
  await waitConsumed()
}

test('a stalled tail (SIGSTOP): no kernel drop, no loss, the archive complete; after SIGCONT it says how many it skipped', async () => {
  const N = 5000
  const RATE = 5000
  const MORE = 10
  load()
  const cpus = info().get('cpus')!.split(' ').map(Number)
  const out = freshDir('krelay-test-tail-stall-out')
  const t0 = Date.now()
  // a 64 KiB queue: the burst cannot wait in it
  const c = await startCollector(out, freshDir('krelay-test-tail-stall-spool'), ['--live-queue', '0.0625'])
  const [tail] = await startTails([['--json']])
  tail!.child.kill('SIGSTOP')
  await generate(N, RATE)
  tail!.child.kill('SIGCONT')
  // the skip is told before the next record the tail gets
  await generate(MORE, 0)
  await stopCollector(c)
  await exitedCleanly(tail!)

  for (const row of stats()) {
    assert.equal(row.written, N + MORE, `cpu ${row.cpu}: written`)
    assert.equal(row.dropped, 0, `cpu ${row.cpu}: the stalled tail made the kernel drop nothing`)
  }
  const archive = await readArchive(out)
  assert.deepEqual(archive.losses, [], 'no loss row')
  assert.equal(archive.duplicates, 0)
  for (const cpu of cpus) assert.equal(recordsByCpu(archive).get(cpu), N + MORE, `cpu ${cpu}: every record archived`)

  const lines = jsonLines(tail!)
  const records = lines.filter(isRecord)
  const skips = lines.filter(l => l.event === 'skipped')
  const skipped = skips.reduce((n, l) => n + (l.count as number), 0)
  assert.deepEqual(lines.filter(l => !isRecord(l) && l.event !== 'skipped'), [], 'no loss events')
  assert.ok(skipped > 0, 'the stalled tail was told it missed records')
  assert.equal(records.length + skipped, archive.records, 'records printed + skipped = every record')
  assert.equal(new Set(records.map(key)).size, records.length, 'each record once')
  for (let i = 1; i < records.length; i++) assert.ok(before(records[i - 1]!, records[i]!), `record ${i + 1} is after record ${i}`)
  process.stdout.write(`    stalled tail: ${records.length} printed, ${skipped} skipped in ${skips.length} skip lines; total ${seconds(Date.now() - t0)}\n`)
})

test('a stalled collector behind 2 x 4 KiB: its losses reach the tail inline, as many per CPU as the kernel dropped', async () => {
  const N = 8000
  const RATE = 4000
  load('subbuf_size=4096', 'n_subbufs=2')
  const out = freshDir('krelay-test-tail-loss-out')
  const t0 = Date.now()
  const c = await startCollector(out, freshDir('krelay-test-tail-loss-spool'))
  const [tail] = await startTails([['--json']])
  assert.equal(control(`gen ${N} ${RATE}`), 'ok')
  await sleep(500)
  c.kill('SIGSTOP')
  await sleep(1000)
  c.kill('SIGCONT')
  await waitGeneratorIdle()
  await waitConsumed()
  // the drops after the last record are told by a flush without records, or at the stop
  await stopCollector(c)
  await exitedCleanly(tail!)

  const kernel = stats()
  const archive = await readArchive(out)
  const lines = jsonLines(tail!)
  const losses = lines.filter(l => l.event === 'loss')
  const records = lines.filter(isRecord)
  assert.deepEqual(lines.filter(l => !isRecord(l) && l.event !== 'loss'), [], 'no skip, no reload')
  assert.ok(losses.every(l => l.reason === 'dropped'), 'every loss of reason dropped')
  for (const row of kernel) {
    assert.ok(row.dropped > 0, `cpu ${row.cpu}: 2 sub-buffers of 4 KiB cannot hold a second of records`)
    assert.equal(losses.filter(l => l.cpu === row.cpu).reduce((n, l) => n + (l.count as number), 0), row.dropped, `cpu ${row.cpu}: the tail's losses == the kernel's dropped`)
    assert.equal(lostByCpu(archive).get(row.cpu), row.dropped, `cpu ${row.cpu}: the archive's losses == the kernel's dropped`)
    assert.equal(records.filter(l => l.cpu === row.cpu).length, row.written, `cpu ${row.cpu}: every written record printed`)
  }
  assert.equal(records.length, archive.records, 'the tail printed what the archive holds')
  // inline: a loss comes before the first record after its gap, on its CPU
  for (const l of losses) {
    const after = lines.findIndex(p => isRecord(p) && p.cpu === l.cpu && (p.seq as number) >= (l.first_seq as number) + (l.count as number))
    if (after >= 0) assert.ok(lines.indexOf(l) < after, `the loss of cpu ${String(l.cpu)} from seq ${String(l.first_seq)} comes before the record after it`)
  }
  const dropped = kernel.reduce((n, r) => n + r.dropped, 0)
  process.stdout.write(`    stalled collector: ${records.length} printed, ${losses.length} loss lines for ${dropped} dropped; total ${seconds(Date.now() - t0)}\n`)
})
