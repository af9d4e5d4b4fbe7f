// Runs inside the test VM: cpu1 taken offline and brought online again, twice, under a
// running `krelay collect` while the generator and the scheduler source write. Relay keeps
// an offline CPU's buffer and file; the module flushes it directly (no IPI can reach it),
// so what cpu1 wrote before it went is delivered, and when it is back its records go on
// from the next sequence number. The generator's thread of cpu1 is moved to cpu0 by the
// scheduler while cpu1 is offline (its records then count on cpu0); a generator run started
// while cpu1 is offline runs on cpu0 only, and one started after it is back on both.
// Every CPU's sequence numbers are accounted exactly once, with nothing lost.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { control, info, load, unload, waitGeneratorIdle } from './kmod.ts'
import { assertExactlyOnce, freshDir, seconds, setCpuOnline, startCollector, stats, stopCollector, waitConsumed } from './demo-lib.ts'
import type { CollectorProcess } from '../../../cli/demo/collector-process.ts'

const RATE = 2000
// the first collector of a boot loads DuckDB over 9p: minutes in a TCG guest on a loaded host
const START_MS = 600_000
const ROUNDS = 2

let collector: CollectorProcess | undefined

// the other guest tests of this boot need both CPUs, whatever happened here
test.afterEach(async () => {
  try {
    setCpuOnline(1, true)
  } finally {
    if (collector?.running) await collector.stop('SIGKILL')
    unload()
  }
})

/** cpu1's last sequence number so far (written + dropped). */
function lastSeq (cpu: number): number {
  const row = stats().find(r => r.cpu === cpu)!
  return row.written + row.dropped
}

test(`cpu1 offline and online again, ${ROUNDS} times, under the generator (${RATE}/s per CPU) and the sched source: every seq once, nothing lost`, async () => {
  assert.ok(fs.existsSync('/sys/devices/system/cpu/cpu1/online'), 'the guest needs a second CPU that can go offline (KRELAY_VM_CPUS >= 2)')
  const out = freshDir('krelay-test-offline-out')
  const spool = freshDir('krelay-test-offline-spool')
  const t0 = Date.now()
  load('subbuf_size=65536', 'n_subbufs=64')
  const channelId = info().get('channel_id')!
  assert.equal(control('source sched on'), 'ok')
  const c = collector = await startCollector(out, spool, [], 'collect', START_MS)

  const marks: string[] = []
  let backAt = 0
  for (let round = 1; round <= ROUNDS; round++) {
    // both CPUs write; cpu1 goes away in the middle of the run
    assert.equal(control(`gen ${RATE * 3} ${RATE}`), 'ok')
    await sleep(1500)
    const before = lastSeq(1)
    setCpuOnline(1, false)
    assert.deepEqual(stats().map(r => [r.cpu, r.online]), [[0, true], [1, false]], 'relay keeps the offline CPU\'s buffer: its stats row stays')
    await waitGeneratorIdle()
    // a run while cpu1 is offline writes on cpu0 only
    assert.equal(control(`gen ${RATE} ${RATE}`), 'ok')
    await waitGeneratorIdle()
    const offline = lastSeq(1)
    setCpuOnline(1, true)
    backAt = lastSeq(1)
    marks.push(`round ${round}: cpu1 at seq ${before} before offline, ${offline} while offline, ${backAt} back online`)
    assert.ok(offline >= before, 'the sequence of cpu1 never goes back')
  }
  // cpu1's stream goes on after it came back
  assert.equal(control(`gen ${RATE} ${RATE}`), 'ok')
  await waitGeneratorIdle()
  assert.equal(control('source sched off'), 'ok')
  assert.equal(control('flush'), 'ok')
  await waitConsumed()
  await stopCollector(c)
  const kernel = stats()

  for (const row of kernel) assert.equal(row.dropped, 0, `cpu ${row.cpu}: dropped`)
  const archive = await assertExactlyOnce(out, channelId, kernel)
  assert.deepEqual(archive.losses, [], 'no loss rows')
  const cpu1 = kernel.find(r => r.cpu === 1)!
  assert.ok(cpu1.written >= backAt + RATE, `cpu1 wrote the last run after it came back (seq ${backAt} then, ${cpu1.written} at the end)`)
  assert.equal(c.lines.filter(l => /came online/.test(l)).length, 0, 'cpu1 kept its file and mapping: nothing came online anew')
  process.stdout.write(`    offline: ${marks.join('; ')}; at the end ${kernel.map(r => `cpu ${r.cpu} written ${r.written}`).join(', ')}; ` +
    `${archive.records} records in ${archive.recordFiles} files; total ${seconds(Date.now() - t0)}\n`)
})
