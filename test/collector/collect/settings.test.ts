// Settings changed while a collector runs on the simulator (settings.ts): the level goes to
// the control file at the attach and at apply, the spool's segments follow the new size,
// and the archive holds every record the module did not filter, exactly once.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { collect } from '../../../collector/collect/collect.ts'
import { checkSettings, settingsChanges, type CollectorHandle, type LiveSettings } from '../../../collector/collect/settings.ts'
import { RelaySim } from '../../../collector/sim/relay-sim.ts'
import { readArchive } from '../../../offline/read-archive.ts'
import { levelWalk } from './archive-levels.ts'
import { collectOptions, collectorReading, driveGenerator, pump, serveControl } from './sim-driver.ts'

const KiB = 1024
const MiB = 1024 * KiB

const BASE: LiveSettings = { level: 6, fsync: 1000, segmentBytes: 64 * MiB, segmentAgeMs: 300_000, spoolBudgetBytes: 1024 * MiB, maxFileBytes: 128 * MiB, maxAgeSeconds: 60, liveQueueBytes: 4 * MiB }

test('settingsChanges: one line per changed setting, in the configuration file\'s names and units', () => {
  assert.deepEqual(settingsChanges(BASE, { ...BASE }), [])
  assert.deepEqual(settingsChanges(BASE, { ...BASE, fsync: 'always', maxFileBytes: 64 * MiB, segmentAgeMs: 1500, level: 3 }), [
    'level 6 (info) -> 3 (err)',
    'spool.fsync 1000 -> always',
    'spool.segment_age_seconds 300 -> 1.5',
    'archive.file_size_mib 128 -> 64',
  ])
  assert.deepEqual(settingsChanges(BASE, { ...BASE, level: undefined, spoolBudgetBytes: Infinity, liveQueueBytes: MiB / 2 }), [
    'level 6 (info) -> unset: the module keeps its level',
    'spool.budget_mib 1024 -> none',
    'live.queue_mib 4 -> 0.5 (for subscribers that connect from now on)',
  ])
})

test('checkSettings names the field and the value out of range', () => {
  assert.doesNotThrow(() => checkSettings(BASE))
  assert.throws(() => checkSettings({ ...BASE, level: 8 }), { name: 'RangeError', message: 'level: 8 is not allowed: 0..7' })
  assert.throws(() => checkSettings({ ...BASE, segmentBytes: 0 }), { message: 'spool.segment_size_mib: 0 is not allowed: a number above 0' })
  assert.throws(() => checkSettings({ ...BASE, fsync: -1 }), { message: 'spool.fsync: -1 is not allowed: "always", "never" or milliseconds' })
})

/** Sizes of the spool's segments not in `before`, in write order (names sort by number). */
function segmentSizes (spoolDir: string, before: Set<string>): number[] {
  return fs.readdirSync(spoolDir).filter(n => n.endsWith('.krcap') && !before.has(n)).sort()
    .map(n => fs.statSync(path.join(spoolDir, n)).size)
}

async function until (cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; !cond(); i++) {
    assert.ok(i < 2000, `timed out waiting for ${what}`)
    await sleep(5)
  }
}

test('apply while records flow: level written to control at the attach and at apply, smaller segments from then on, every unfiltered record archived once', async () => {
  const sim = new RelaySim({ cpus: [0, 1], subbufSize: 4096, nSubbufs: 8, flushIntervalMs: 5 })
  const stop = new AbortController()
  // closed: the worker takes nothing, so the spool keeps every segment for us to measure
  const gate = new Int32Array(new SharedArrayBuffer(4))
  Atomics.store(gate, 0, 1)
  const lines: string[] = []
  let handle: CollectorHandle | undefined
  const opts = collectOptions(sim, stop.signal, {
    level: 5, segmentBytes: 256 * KiB, archiveGate: gate, log: l => { lines.push(l) }, onHandle: h => { handle = h },
  })
  const running = collect(opts)
  await collectorReading(opts.spoolDir)
  assert.ok(handle, 'onHandle was called once the collector runs')
  assert.equal(handle.settings.level, 5)
  await until(() => fs.readFileSync(sim.controlPath, 'latin1').includes('level 5\n'), 'level 5 in the control file')
  pump(sim)
  assert.equal(sim.minLevel, 5, 'the attach wrote the level')
  assert.ok(lines.includes('the module\'s level filter is 5 (notice): records above it are filtered (its stats count them)'), lines.join('\n'))

  // 800 per CPU at level 5: indexes with index % 8 of 6 or 7 are filtered (200)
  await driveGenerator(sim, 800, 16)
  pump(sim)
  await sleep(50)
  const before = new Set(fs.readdirSync(opts.spoolDir))
  const changed = handle.apply({ ...handle.settings, level: 2, segmentBytes: 16 * KiB, maxFileBytes: 32 * KiB, fsync: 'always' })
  assert.deepEqual(changed, ['level 5 (notice) -> 2 (crit)', 'spool.fsync never -> always', 'spool.segment_size_mib 0.25 -> 0.015625', 'archive.file_size_mib 0.25 -> 0.03125'])
  assert.deepEqual(handle.apply({ ...handle.settings }), [], 'nothing changed, nothing done')
  const stopServing = serveControl(sim)
  pump(sim)
  assert.equal(sim.minLevel, 2, 'apply wrote the level at once')
  // 800 more at level 2: 500 of them filtered (index % 8 of 3..7)
  await driveGenerator(sim, 800, 16)
  await sleep(100)
  const sizes = segmentSizes(opts.spoolDir, before)
  Atomics.store(gate, 0, 0)
  stop.abort()
  await running
  stopServing()

  const oldSizes = [...before].filter(n => n.endsWith('.krcap')).length
  assert.ok(oldSizes >= 1)
  // 256 KiB segments before; after, each closed one is over 16 KiB by at most one reader pass (2 CPUs x 8 x 4 KiB)
  assert.ok(sizes.length >= 4, `segments rotate at the new size: ${sizes.join(', ')}`)
  for (const s of sizes.slice(0, -1)) assert.ok(s >= 16 * KiB && s <= 16 * KiB + 2 * 8 * 4 * KiB + 4 * KiB, `segment of ${s} bytes: ${sizes.join(', ')}`)
  const a = await readArchive(opts.out)
  // the worker took every row after the apply (its gate was closed): ~180 KB of rows, one
  // file at the old 256 KiB, about six at the new 32 KiB
  assert.ok(a.recordFiles >= 4, `archive files at the new size: ${a.recordFiles}`)
  assert.equal(a.duplicates, 0)
  assert.deepEqual(a.losses, [])
  for (const cpu of [0, 1]) {
    assert.equal(sim.cpu(cpu).filtered, 200 + 500, `cpu ${cpu}: the simulator filtered what the levels say`)
    assert.equal(sim.cpu(cpu).written, 1600 - 700)
  }
  // each run: index % 8 = level; run 1 kept levels 0..5 (100 each), run 2 levels 0..2 (100 each)
  const walks = await levelWalk(opts.out)
  assert.deepEqual(walks.map(w => w.byLevel), [0, 1].map(() => [200, 200, 200, 100, 100, 100, 0, 0]))
  sim.destroy()
})
