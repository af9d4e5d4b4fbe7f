// Runs inside the test VM: `krelay status --json` against the real module. Without a
// collector it shows the kernel's per-CPU counters as the stats file has them (a generator
// run into buffers nobody reads: drops and a backlog); with `krelay collect` running it
// shows both halves, the collector's spooled records matching what the kernel wrote; with
// the module unloaded, the collector's last figures alone.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { control, load, unload, waitGeneratorIdle } from './kmod.ts'
import { freshDir, startCollector, stats, stopCollector, waitConsumed } from './demo-lib.ts'
import { KRELAY_BIN, type CollectorProcess } from '../../../cli/demo/collector-process.ts'
import type { CollectorStatus } from '../../../collector/collect/status-file.ts'
import type { StatusReport } from '../../../cli/status/table.ts'
import type { KernelCpu } from '../../../cli/status/kernel.ts'

// the first collector of a boot loads DuckDB over 9p: minutes in a TCG guest on a loaded host
const START_MS = 600_000

let collector: CollectorProcess | undefined

test.afterEach(async () => {
  if (collector?.running) await collector.stop('SIGKILL')
  unload()
})

function status (...args: string[]): StatusReport {
  const r = spawnSync(process.execPath, [KRELAY_BIN, 'status', '--json', ...args], { encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
  assert.equal(r.stderr, '')
  return JSON.parse(r.stdout) as StatusReport
}

/** The stats file as `krelay status` shows it. */
function kernelCpus (): KernelCpu[] {
  return stats().map(c => ({
    cpu: c.cpu,
    online: c.online,
    written: c.written,
    dropped: c.dropped,
    too_big: c.tooBig,
    filtered: c.filtered,
    produced: c.produced,
    consumed: c.consumed,
    backlog_subbufs: c.produced - c.consumed,
  }))
}

/** `krelay status` and the stats file read around it, once the counters held still across the call. */
async function steadyStatus (...args: string[]): Promise<{ report: StatusReport, cpus: KernelCpu[] }> {
  for (let attempt = 1; ; attempt++) {
    const before = kernelCpus()
    const report = status(...args)
    const after = kernelCpus()
    if (JSON.stringify(before) === JSON.stringify(after)) return { report, cpus: after }
    assert.ok(attempt < 20, 'the stats file kept changing')
    await sleep(500)
  }
}

test('no collector: krelay status shows the kernel\'s counters as the stats file has them after a generator run', async () => {
  load('subbuf_size=4096', 'n_subbufs=4')
  assert.equal(control('level 4'), 'ok') // the generator's info and debug records are filtered
  assert.equal(control('gen 5000 0'), 'ok')
  await waitGeneratorIdle()
  const { report, cpus } = await steadyStatus()
  assert.equal(report.collector, null)
  assert.equal(report.kernel.state, 'loaded')
  if (report.kernel.state !== 'loaded') return
  assert.equal(report.kernel.level, 'warning')
  assert.equal(report.kernel.n_subbufs, 4)
  assert.deepEqual(report.kernel.cpus, cpus)
  const total = (k: keyof KernelCpu): number => cpus.reduce((n, c) => n + Number(c[k]), 0)
  assert.ok(total('written') > 0 && total('filtered') > 0, JSON.stringify(cpus))
  assert.ok(total('dropped') > 0, `nobody reads 4 sub-buffers of 4 KiB: the kernel drops (${JSON.stringify(cpus)})`)
  assert.ok(total('backlog_subbufs') > 0, 'complete sub-buffers wait unacknowledged')
})

test('a collector running: both halves, its spooled records what the kernel wrote; the module unloaded: its last figures alone', async () => {
  const out = freshDir('krelay-test-status-out')
  const spool = freshDir('krelay-test-status-spool')
  load('subbuf_size=65536', 'n_subbufs=64')
  const c = collector = await startCollector(out, spool, ['--no-live'], 'collect', START_MS)
  assert.equal(control('gen 4000 2000'), 'ok')
  await waitGeneratorIdle()
  await waitConsumed()
  const file = path.join(spool, 'status.json')
  const written = (): number => stats().reduce((n, r) => n + r.written, 0)
  for (const t0 = Date.now(); ;) {
    const s = JSON.parse(fs.readFileSync(file, 'utf8')) as CollectorStatus
    if (s.cpus.reduce((n, x) => n + x.records, 0) === written() && s.archive !== null) break
    assert.ok(Date.now() - t0 < 60_000, `status.json did not reach the kernel's ${written()} records: ${JSON.stringify(s.cpus)}`)
    await sleep(250)
  }
  const { report, cpus } = await steadyStatus('--spool', spool)
  assert.equal(report.kernel.state, 'loaded')
  if (report.kernel.state === 'loaded') assert.deepEqual(report.kernel.cpus, cpus)
  assert.ok(cpus.every(x => x.backlog_subbufs === 0 && x.dropped === 0), JSON.stringify(cpus))
  const view = report.collector
  assert.equal(view?.state, 'running', JSON.stringify(view))
  assert.ok(view !== null && 'status' in view)
  assert.equal(view.status.pid, c.child.pid)
  assert.deepEqual(view.status.cpus.map(x => [x.cpu, x.records, x.dropped]), cpus.map(x => [x.cpu, x.written, 0]))
  assert.ok(view.status.merge_lag_ms !== null && view.status.merge_lag_ms >= 0)
  assert.equal(view.status.live_subscribers, null, '--no-live')

  await stopCollector(c)
  unload()
  const gone = spawnSync(process.execPath, [KRELAY_BIN, 'status', '--json', '--spool', spool], { encoding: 'utf8' })
  assert.equal(gone.status, 0, gone.stderr)
  const last = JSON.parse(gone.stdout) as StatusReport
  assert.equal(last.kernel.state, 'absent')
  assert.match(last.kernel.state === 'absent' ? last.kernel.error : '', /the krelay module is not loaded/)
  assert.equal(last.collector?.state, 'stopped')
  assert.ok(last.collector !== null && 'status' in last.collector)
  assert.equal(last.collector.status.archive?.records, cpus.reduce((n, x) => n + x.written, 0))
})
