// Runs inside the test VM: SIGHUP under `krelay collect --config FILE` against the real
// module while the generator writes: a valid reload (spool and archive limits, fsync, and a
// change that needs a restart), an invalid file (refused, the collector goes on), the level
// filter raised to `err` and lowered again; then `info`, and rmmod and insmod: the collector
// (--follow) gives the new module the level at its attach. Every sequence number the module gave
// is archived exactly once (no loss, no duplicate across the reloads), and the records the
// level filter refused are exactly those the module's `filtered` counter counted: all of
// them above `err`, none of them in the archive.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { CollectorProcess } from '../../../cli/demo/collector-process.ts'
import { levelWalk } from '../../collector/collect/archive-levels.ts'
import { control, info, load, unload, waitGeneratorIdle } from './kmod.ts'
import { assertExactlyOnce, freshDir, generatorRunning, seconds, startCollector, stats, stopCollector, waitConsumed, waitLine } from './demo-lib.ts'

const RATE = 2000
/**
 * records per CPU: a multiple of 8, so the levels run 0..7 whole; 20 s of generator, for the
 * four reloads to land while it writes (they took 13.3 s from its start in a guest run where
 * 12 s of generator ended before the last one)
 */
const COUNT = 40_000
const PARAMS = ['subbuf_size=65536', 'n_subbufs=64']

test.afterEach(() => unload())

/** what the valid reload applies, kept by the later ones (which give compact = true again, as it runs) */
const APPLIED = { fsync: '"always"', segment: '1', fileAge: '5' }

function config (over: { level?: string, fsync?: string, segment?: string, fileAge?: string, compact?: string } = {}): string {
  return [
    `level = ${over.level ?? '"debug"'}`,
    'follow = true',
    '[archive]',
    `file_age_seconds = ${over.fileAge ?? '60'}`,
    `compact = ${over.compact ?? 'true'}`,
    '[spool]',
    `fsync = ${over.fsync ?? '1000'}`,
    `segment_size_mib = ${over.segment ?? '4'}`,
    '[live]',
    'enabled = false',
    '',
  ].join('\n')
}

/**
 * Rewrites the file, sends SIGHUP, waits for `last`: the line that ends that reload's report (its
 * lines are logged in one go, in FIELDS order, but may reach the pipe in more than one chunk).
 */
async function reload (c: CollectorProcess, file: string, text: string, last: RegExp): Promise<string[]> {
  fs.writeFileSync(file, text)
  const from = c.lines.length
  c.kill('SIGHUP')
  await waitLine(c, last)
  assert.ok(c.running, `krelay collect exited at SIGHUP:\n${c.output()}`)
  return c.lines.slice(from)
}

test(`SIGHUP reloads (valid, invalid, level err and back) while ${RATE} records/s per CPU flow: every record archived once, the filtered ones absent; the level survives a module reload`, async () => {
  const out = freshDir('krelay-test-sighup-out')
  const spool = freshDir('krelay-test-sighup-spool')
  const file = path.join(freshDir('krelay-test-sighup-etc'), 'krelay.toml')
  fs.writeFileSync(file, config())
  const t0 = Date.now()
  load(...PARAMS)
  const channelId = info().get('channel_id')!
  const c = await startCollector(out, spool, ['--config', file])
  try {
    await sighups(c, file, out, channelId, t0)
  } finally {
    // a failed assertion must not leave it holding the module (afterEach unloads it)
    if (c.running) await c.stop('SIGKILL')
  }
})

/** The reloads while the generator writes, then the archive checked against the module's counts. */
async function sighups (c: CollectorProcess, file: string, out: string, channelId: string, t0: number): Promise<void> {
  await waitLine(c, /level filter is 7 \(debug\)/)
  const tStart = Date.now()
  assert.equal(control(`gen ${COUNT} ${RATE}`), 'ok')
  await sleep(1500)

  const valid = await reload(c, file, config({ ...APPLIED, compact: 'false' }), /reload: archive\.file_age_seconds/)
  assert.ok(valid.some(l => l.endsWith(`reload: archive.compact changed in ${file}, needs a restart (keeps true)`)), valid.join('\n'))
  assert.ok(valid.some(l => l.endsWith('reload: spool.fsync 1000 -> always')), valid.join('\n'))
  assert.ok(valid.some(l => l.endsWith('reload: archive.file_age_seconds 60 -> 5')), valid.join('\n'))
  await sleep(1000)

  // other lines (a new spool segment) may come before or after it
  const refused = (await reload(c, file, config({ fsync: '"sometimes"' }), /reload refused/)).find(l => l.includes('reload refused'))
  assert.match(refused!, new RegExp(`reload refused: ${file}: spool\\.fsync: "sometimes" is not allowed: .*\\(going on with the configuration it had\\)$`))
  await sleep(500)
  assert.ok(c.running && generatorRunning(), 'the collector and the generator run on after the refused reload')

  const filteredBefore = stats().reduce((s, r) => s + r.filtered, 0)
  const raised = await reload(c, file, config({ ...APPLIED, level: '"err"' }), /reload: level 7 \(debug\) -> 3 \(err\)/)
  assert.deepEqual(raised.filter(l => /reload: /.test(l)).map(l => l.replace(/^.*reload: /, '')), ['level 7 (debug) -> 3 (err)'],
    `the refused reload changed nothing: since the valid one, only the level changed:\n${raised.join('\n')}`)
  await sleep(2500)
  const filteredDuring = stats().reduce((s, r) => s + r.filtered, 0)
  assert.ok(filteredDuring > filteredBefore, `the module filtered records at level err (filtered ${filteredBefore} -> ${filteredDuring})`)
  await reload(c, file, config({ ...APPLIED, level: '"debug"' }), /reload: level 3 \(err\) -> 7 \(debug\)/)
  assert.ok(generatorRunning(), 'the generator still wrote after the last reload: records flowed through all of them')
  const genSeconds = (Date.now() - tStart) / 1000

  await waitGeneratorIdle()
  assert.equal(control('flush'), 'ok')
  await waitConsumed()
  const kernel = stats()

  // the level goes to the module again at every attach: a module loaded again starts at its default
  await reload(c, file, config({ ...APPLIED, level: '"info"' }), /reload: level 7 \(debug\) -> 6 \(info\)/)
  assert.equal(info().get('min_level'), '6')
  unload()
  await waitLine(c, /waiting for the krelay module/)
  load(...PARAMS)
  const deadline = Date.now() + 60_000
  while (info().get('min_level') !== '6') {
    assert.ok(Date.now() < deadline && c.running, `the collector did not give the module loaded again its level:\n${c.output()}`)
    await sleep(100)
  }
  await stopCollector(c)
  for (const k of kernel) {
    assert.equal(k.dropped, 0, `cpu ${k.cpu}: nothing dropped (the buffers hold the rate)`)
    assert.equal(k.written + k.filtered, COUNT, `cpu ${k.cpu}: every generated record written or filtered`)
    assert.ok(k.filtered > 0, `cpu ${k.cpu}: the level filter refused records`)
  }
  await assertExactlyOnce(out, channelId, kernel)
  const walks = await levelWalk(out, channelId)
  assert.deepEqual(walks.map(w => w.cpu), kernel.map(k => k.cpu))
  for (const w of walks) {
    const k = kernel.find(r => r.cpu === w.cpu)!
    assert.equal(w.seqGaps, 0)
    assert.equal(w.byLevel.reduce((s, n) => s + n, 0), k.written, `cpu ${w.cpu}: every written gen record archived`)
    assert.deepEqual(w.skippedByLevel.slice(0, 4), [0, 0, 0, 0], `cpu ${w.cpu}: no record at err or more severe is missing`)
    assert.equal(w.skippedByLevel.reduce((s, n) => s + n, 0), k.filtered, `cpu ${w.cpu}: the records missing between archived ones are the ${k.filtered} filtered`)
    assert.ok(w.skippedByLevel.slice(4).every(n => n > 0), `cpu ${w.cpu}: warning..debug were filtered: ${w.skippedByLevel.join(' ')}`)
  }
  process.stdout.write(`    sighup: ${kernel.map(k => `cpu ${k.cpu} written ${k.written} filtered ${k.filtered}`).join(', ')}; generator ${genSeconds.toFixed(1)} s; total ${seconds(Date.now() - t0)}\n`)
}
