// Runs inside the test VM: `krelay collect` killed with SIGKILL at KRELAY_SOAK_KILLS (default 16)
// seeded random moments of one run, and started again on the same spool and archive each
// time, while the generator writes at a rate the TCG guest sustains and the scheduler
// source records the collector's own fork and exec. The kills are spread over the
// collector's phases: starting (before it reads the channel), replaying the spool the last
// kill left (before its "replayed" line), publishing a Parquet file (a `.partial` exists),
// and steady capture. After a clean stop, per CPU: records + loss rows tile seq 1 .. the
// last one exactly once, the losses are the kernel's `dropped`, nothing half-written stays.
//   KRELAY_SOAK_KILLS=N, KRELAY_SOAK_KILL_SEED=S (printed), KRELAY_SOAK_KILL_RATE=records/s per CPU
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { CollectorProcess, describeExit, segmentsIn } from '../../../cli/demo/collector-process.ts'
import { PARTIAL_SUFFIX } from '../../../collector/archive/paths.ts'
import { parquetFiles } from '../../../offline/read-archive.ts'
import { seeded } from '../../seeded.ts'
import { control, info, load, unload, waitGeneratorIdle } from '../guest/kmod.ts'
import { assertExactlyOnce, freshDir, seconds, startCollector, stats, stopCollector, waitConsumed } from '../guest/demo-lib.ts'

// 16: four per phase; 317-504 s in CI runs, beside the 6.1 soak's 650 s (through tsx, when each start
// took 20-60 s in the loaded TCG guest, 20 kills took 760-932 s); KRELAY_SOAK_KILLS=N for a longer one
const KILLS = Number(process.env.KRELAY_SOAK_KILLS ?? 16)
const SEED = Number(process.env.KRELAY_SOAK_KILL_SEED ?? Math.floor(Math.random() * 2 ** 32))
const RATE = Number(process.env.KRELAY_SOAK_KILL_RATE ?? 1000)
// a file published every 2 s: publishes to hit, and a spool of a few seconds to replay
const ARGS = ['--file-age', '2']
// a loaded host slows the TCG guest many times over: starting node there can take minutes
const WAIT_MS = 600_000
const PHASES = ['start', 'replay', 'publish', 'steady'] as const
type Phase = typeof PHASES[number]

let collector: CollectorProcess | undefined

test.afterEach(async () => {
  if (collector?.running) await collector.stop('SIGKILL')
  unload()
})

function partialFiles (out: string): string[] {
  if (!fs.existsSync(out)) return []
  return (fs.readdirSync(out, { recursive: true }) as string[]).filter(f => f.endsWith(PARTIAL_SUFFIX))
}

/**
 * Kills `c` the moment a `.partial` file appears under `out` (the archive worker started
 * writing a Parquet file: inotify, as a poll would miss a short write); false if none did
 * within `timeoutMs`.
 */
async function killAtPublish (c: CollectorProcess, out: string, timeoutMs: number): Promise<boolean> {
  fs.mkdirSync(out, { recursive: true })
  return await new Promise<boolean>(resolve => {
    let settled = false
    const done = (hit: boolean): void => {
      if (settled) return
      settled = true
      watcher.close()
      clearTimeout(timer)
      resolve(hit)
    }
    const watcher = fs.watch(out, { recursive: true }, (_event, name) => {
      if (name?.endsWith(PARTIAL_SUFFIX) !== true) return
      c.kill('SIGKILL')
      done(true)
    })
    const timer = setTimeout(() => done(false), timeoutMs)
    c.exited.then(() => done(false), () => done(false))
  })
}

/** Kill plan: every phase KILLS/4 times (the rest at random), in seeded random order, not starting with a start. */
function plan (random: () => number): Phase[] {
  const phases: Phase[] = Array.from({ length: KILLS }, (_, i) => i < KILLS - KILLS % 4 ? PHASES[i % 4]! : PHASES[Math.floor(random() * 4)]!)
  for (let i = phases.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [phases[i], phases[j]] = [phases[j]!, phases[i]!]
  }
  // the first collector is reading before the first kill: that one cannot hit its start
  const later = phases.findIndex(p => p !== 'start')
  if (phases[0] === 'start' && later > 0) [phases[0], phases[later]] = [phases[later]!, phases[0]]
  return phases
}

const echo = process.env.KRELAY_TEST_QUIET === '1' ? undefined : (tag: string) => (line: string) => process.stdout.write(`    ${tag} | ${line}\n`)

test(`SIGKILL at ${KILLS} random moments under ${RATE} records/s per CPU and the sched source: every record archived once, losses == dropped`, async () => {
  assert.ok(Number.isInteger(KILLS) && KILLS >= 4, `KRELAY_SOAK_KILLS must be an integer >= 4, got ${process.env.KRELAY_SOAK_KILLS}`)
  process.stdout.write(`    kill-restart: seed ${SEED} (KRELAY_SOAK_KILL_SEED=${SEED} repeats the plan), ${KILLS} kills, ${RATE} records/s per CPU\n`)
  const random = seeded(SEED)
  const out = freshDir('krelay-test-kill-out')
  const spool = freshDir('krelay-test-kill-spool')
  const t0 = Date.now()
  // 32 x 64 KiB flushed every 200 ms: about 6 s of records ride out a restart
  load('subbuf_size=65536', 'n_subbufs=32', 'flush_ms=200')
  const channelId = info().get('channel_id')!
  assert.equal(control('source sched on'), 'ok')
  collector = await startCollector(out, spool, ARGS, 'collect 0', WAIT_MS)
  assert.equal(control(`gen 1000000000 ${RATE}`), 'ok')
  await sleep(2000)

  const hits = new Map<string, number>()
  let startMs = 4000
  let before = new Set<string>()
  const planned = plan(random)
  for (let k = 1; k <= KILLS; k++) {
    const want = planned[k - 1]!
    let killedAtPublish = false
    const c = collector
    const spawned = performance.now()
    // a spool left by the last kill is replayed at start
    const replaying = k > 1 && before.size > 0
    const isReading = (): boolean => k === 1 || segmentsIn(spool).some(s => !before.has(s))
    if (want === 'start' && !isReading()) {
      await sleep(random() * startMs * 0.8)
    } else {
      await c.waitReading(spool, WAIT_MS, isReading).catch((err: Error) => {
        // node in the TCG guest now and then dies of SIGSEGV while starting: that one is restarted like a kill
        if (c.exitStatus?.signal !== 'SIGSEGV') throw err
      })
      if (k > 1) startMs = performance.now() - spawned
      if (want === 'replay') await sleep(random() * 300)
      else if (want === 'steady') await sleep(500 + random() * 2500)
      else if (want === 'publish') killedAtPublish = await killAtPublish(c, out, 60_000)
    }
    // what the kill hit, from what could be seen at its moment
    const reading = isReading()
    const partials = killedAtPublish ? 1 : partialFiles(out).length
    const replayed = c.lines.some(l => /replayed \d+ sub-buffers/.test(l))
    c.kill('SIGKILL')
    const exit = await c.exited
    let got: string
    if (exit.signal !== 'SIGKILL') {
      assert.ok(exit.signal === 'SIGSEGV' && !reading, `krelay collect ${describeExit(exit)} before kill ${k}:\n${c.output()}`)
      got = 'died starting (SIGSEGV)'
    } else if (!reading) got = 'start'
    else if (partials > 0) got = 'publish'
    else if (replaying && !replayed) got = 'replay'
    else got = 'steady'
    hits.set(got, (hits.get(got) ?? 0) + 1)
    process.stdout.write(`    kill ${k}/${KILLS}: planned ${want}, hit ${got} ${seconds(performance.now() - spawned)} after its start` +
      `${partials > 0 ? ` (${partials} .partial file)` : ''}; the spool holds ${segmentsIn(spool).length} segments\n`)
    before = new Set(segmentsIn(spool))
    collector = new CollectorProcess(['--out', out, '--spool', spool, '--host', 'krelay-test', ...ARGS], echo?.(`collect ${k}`))
  }
  // the last restart runs to a clean stop
  const last = collector
  await last.waitReading(spool, WAIT_MS, () => segmentsIn(spool).some(s => !before.has(s))).catch(async (err: Error) => {
    if (last.exitStatus?.signal !== 'SIGSEGV') throw err
    collector = await startCollector(out, spool, ARGS, 'collect last', WAIT_MS)
  })
  await sleep(3000)
  assert.equal(control('gen-stop'), 'ok')
  await waitGeneratorIdle()
  assert.equal(control('source sched off'), 'ok')
  assert.equal(control('flush'), 'ok')
  await waitConsumed(WAIT_MS)
  await stopCollector(collector)
  const kernel = stats()

  const archive = await assertExactlyOnce(out, channelId, kernel)
  assert.deepEqual(partialFiles(out), [], 'no .partial file after a clean stop')
  assert.deepEqual(segmentsIn(spool), [], 'the spool emptied')
  assert.ok(parquetFiles(path.join(out, 'records')).length > 0)
  for (const phase of ['start', 'replay', 'publish'] as const) assert.ok((hits.get(phase) ?? 0) > 0, `no kill hit phase ${phase}: ${JSON.stringify([...hits])}`)
  const written = kernel.map(r => `cpu ${r.cpu} written ${r.written} dropped ${r.dropped}`).join(', ')
  process.stdout.write(`    kill-restart: seed ${SEED}; kills by phase ${JSON.stringify(Object.fromEntries(hits))}; ${written}; ` +
    `${archive.records} records in ${archive.recordFiles} files, ${archive.lostRecords} lost in ${archive.losses.reduce((s, l) => s + l.rows, 0)} loss rows; total ${seconds(Date.now() - t0)}\n`)
})
