// krelay status as a user runs it: against the simulator's channel, with and without a
// collector (spawned as krelay collect), a killed one, a stuck one, no module, nothing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { RelaySim } from '../../collector/sim/relay-sim.ts'
import type { CollectorStatus } from '../../collector/collect/status-file.ts'
import { parseStats } from '../../formats/stats.ts'
import type { StatusReport } from '../../cli/status/table.ts'
import { driveGenerator, serveControl } from '../collector/collect/sim-driver.ts'
import { startCollector, startTail, stop, until } from './live-run.ts'
import { BIN, krelay } from './run.ts'
import { tempDir } from '../temp-dir.ts'

function status (args: string[]): StatusReport {
  const r = krelay(['status', ...args])
  assert.equal(r.status, 0, r.stderr)
  assert.equal(r.stderr, '')
  return JSON.parse(r.stdout) as StatusReport
}

/** The simulator's stats file as `krelay status` shows it. */
function simCpus (sim: RelaySim): unknown[] {
  return parseStats(fs.readFileSync(path.join(sim.dir, 'stats'), 'latin1')).cpus.map(c => ({
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

test('no collector: the kernel\'s per-CPU counters as the stats file has them, JSON when stdout is not a terminal', async () => {
  const sim = new RelaySim({ cpus: [0, 1], subbufSize: 4096, nSubbufs: 4, flushIntervalMs: 5 })
  sim.startGen(500)
  sim.genStep(500) // nobody consumes: the buffers fill and the kernel drops
  sim.flush()
  sim.minLevel = 3
  sim.writeInfo()
  sim.writeText(0, 'left out by the level filter', 6)
  sim.write(1, { level: 0, payload: new Uint8Array(5000) }) // larger than a sub-buffer
  sim.flush()
  const r = status(['--channel', sim.dir])
  assert.equal(r.collector, null, 'no spool named: no collector looked for')
  assert.equal(r.kernel.state, 'loaded')
  if (r.kernel.state !== 'loaded') return
  assert.equal(r.kernel.channel_id, sim.channelId)
  assert.equal(r.kernel.level, 'err')
  assert.deepEqual(r.kernel.cpus, simCpus(sim))
  const [c0, c1] = r.kernel.cpus
  assert.ok(c0!.dropped > 0 && c0!.backlog_subbufs > 0, JSON.stringify(c0))
  assert.equal(c0!.filtered, 1)
  assert.equal(c1!.too_big, 1)
  sim.destroy()
})

test('a running collector: its figures beside the kernel\'s; killed, its file is reported stale', async () => {
  const sim = new RelaySim({ cpus: [0, 1], subbufSize: 4096, nSubbufs: 64, flushIntervalMs: 5 })
  const dir = tempDir('krelay-status-')
  const out = path.join(dir, 'archive')
  const socket = path.join(dir, 'live.sock')
  const stopServing = serveControl(sim)
  const collector = await startCollector(sim, out, socket)
  const tail = await startTail(socket, ['--json'])
  await driveGenerator(sim, 3000, 16)
  const file = path.join(out, '.spool', 'status.json')
  await until(() => {
    const s = JSON.parse(fs.readFileSync(file, 'utf8')) as CollectorStatus
    return s.cpus.reduce((n, c) => n + c.records, 0) === 6000 && s.live_subscribers === 1
  }, 'the collector to report 6000 records spooled and one subscriber')
  const r = status(['--channel', sim.dir, '--out', out])
  assert.equal(r.kernel.state, 'loaded')
  if (r.kernel.state === 'loaded') {
    assert.deepEqual(r.kernel.cpus.map(c => [c.cpu, c.written, c.dropped]), [[0, 3000, 0], [1, 3000, 0]])
    assert.deepEqual(r.kernel.cpus, simCpus(sim))
  }
  const c = r.collector
  assert.equal(c?.state, 'running', JSON.stringify(c))
  assert.ok(c !== null && 'status' in c)
  assert.equal(c.status.pid, collector.child.pid)
  assert.equal(c.status.channel_id, sim.channelId)
  assert.deepEqual(c.status.cpus.map(x => [x.cpu, x.records, x.dropped]), [[0, 3000, 0], [1, 3000, 0]])
  assert.equal(c.status.live_subscribers, 1)
  assert.ok(c.status.merge_lag_ms !== null && c.status.merge_lag_ms < 5000)
  assert.match(c.status.spool_oldest_segment?.file ?? '', /\.krcap$/)
  assert.ok(c.age_seconds < 5)
  // the same through --spool
  assert.equal(status(['--channel', sim.dir, '--spool', path.join(out, '.spool')]).collector?.state, 'running')

  collector.child.kill('SIGKILL')
  await collector.exited
  const killed = status(['--channel', sim.dir, '--out', out])
  assert.equal(killed.collector?.state, 'stale')
  assert.ok(killed.collector !== null && 'status' in killed.collector)
  assert.equal(killed.collector.why, `pid ${collector.child.pid} is not running: the collector was killed or crashed`)
  tail.child.kill('SIGTERM')
  await tail.exited
  stopServing()
  sim.destroy()
})

test('a collector stopped cleanly: its final figures, marked stopped', async () => {
  const sim = new RelaySim({ cpus: [0], subbufSize: 4096, nSubbufs: 16, flushIntervalMs: 5 })
  const dir = tempDir('krelay-status-')
  const out = path.join(dir, 'archive')
  const stopServing = serveControl(sim)
  const collector = await startCollector(sim, out, path.join(dir, 'live.sock'))
  await driveGenerator(sim, 1000, 16)
  assert.equal(await stop(collector), 0, collector.stderr())
  stopServing()
  const r = status(['--channel', sim.dir, '--out', out])
  assert.equal(r.collector?.state, 'stopped')
  assert.ok(r.collector !== null && 'status' in r.collector)
  assert.equal(r.collector.status.archive?.records, 1000)
  assert.ok((r.collector.status.archive?.bytes ?? 0) > 0)
  sim.destroy()
})

/** A status.json as a collector writes it, `ageS` seconds old, of process `pid`. */
function writeStatus (spool: string, pid: number, ageS: number): void {
  fs.mkdirSync(spool, { recursive: true })
  const at = new Date(Date.now() - ageS * 1000).toISOString()
  const s: CollectorStatus = {
    version: 1,
    pid,
    state: 'running',
    started_at: at,
    updated_at: at,
    channel_id: '0123456789abcdef',
    rss_bytes: 1,
    open_fds: 1,
    timers: 0,
    handles: 0,
    resources: { capture: {}, archive: null },
    spool_bytes: 100,
    spool_oldest_segment: null,
    merge_lag_ms: 0,
    cpus: [{ cpu: 0, subbufs: 1, records: 10, dropped: 0, bytes: 640, records_per_second: 2.5 }],
    archive: { records: 10, losses: 0, lost_records: 0, skipped: 0, files: 1, bytes: 1000, last_publish_at: at },
    live_subscribers: null,
  }
  fs.writeFileSync(path.join(spool, 'status.json'), JSON.stringify(s))
}

test('a file whose updated_at no longer moves is stale, though its pid lives; no module: the collector part alone', () => {
  const spool = path.join(tempDir('krelay-status-'), 'spool')
  const noModule = path.join(spool, 'no-channel-here')
  writeStatus(spool, process.pid, 60)
  const stuck = status(['--channel', noModule, '--spool', spool])
  assert.equal(stuck.collector?.state, 'stale')
  assert.match(stuck.collector?.state === 'stale' ? stuck.collector.why ?? '' : '', /^not updated for 6[01] s: the collector \(pid \d+\) is stuck/)
  writeStatus(spool, process.pid, 0)
  const r = status(['--channel', noModule, '--spool', spool])
  assert.equal(r.collector?.state, 'running')
  assert.equal(r.kernel.state, 'absent')
  assert.match(r.kernel.state === 'absent' ? r.kernel.error : '', /no-channel-here does not exist/)
})

test('neither a module nor a collector: exit 1 and one line saying both', () => {
  const dir = tempDir('krelay-status-')
  const r = krelay(['status', '--channel', path.join(dir, 'none'), '--out', dir])
  assert.equal(r.status, 1)
  assert.equal(r.stdout, '')
  assert.match(r.stderr, /^krelay status: nothing to show: .*none does not exist; no .*\.spool\/status\.json: no collector has run with this spool\n$/)
  const bare = krelay(['status', '--channel', path.join(dir, 'none')])
  assert.equal(bare.status, 1)
  assert.match(bare.stderr, /no --out, --spool or --config given/)
})

test('--config: the channel and the spool as the collector\'s configuration file has them; flags win; a bad file exits 2', () => {
  const sim = new RelaySim({ cpus: [0], subbufSize: 4096, nSubbufs: 4 })
  const dir = tempDir('krelay-status-')
  const out = path.join(dir, 'archive')
  writeStatus(path.join(out, '.spool'), process.pid, 0)
  const file = path.join(dir, 'krelay.toml')
  fs.writeFileSync(file, `channel = ${JSON.stringify(sim.dir)}\n\n[archive]\nout = ${JSON.stringify(out)}\n`)
  const r = status(['--config', file])
  assert.equal(r.kernel.state, 'loaded')
  assert.equal(r.kernel.channel_dir, sim.dir)
  assert.equal(r.collector?.state, 'running')
  assert.equal(r.collector?.file, path.join(out, '.spool', 'status.json'))
  const viaEnv = krelay(['status'], { KRELAY_CONFIG: file })
  assert.equal(viaEnv.status, 0, viaEnv.stderr)
  assert.equal((JSON.parse(viaEnv.stdout) as StatusReport).collector?.state, 'running')
  const flag = status(['--config', file, '--channel', path.join(dir, 'none')])
  assert.equal(flag.kernel.state, 'absent', '--channel wins over the file')
  fs.writeFileSync(file, '[archive]\nout = 7\n')
  const bad = krelay(['status', '--config', file])
  assert.equal(bad.status, 2)
  assert.match(bad.stderr, /^krelay status: .*krelay\.toml: archive\.out: 7 is not allowed/)
  sim.destroy()
})

test('on a terminal: a table of the kernel\'s counters and the collector\'s figures', () => {
  const sim = new RelaySim({ cpus: [0, 1], subbufSize: 4096, nSubbufs: 4, flushIntervalMs: 5 })
  sim.writeText(1, 'one')
  sim.flush()
  const spool = path.join(tempDir('krelay-status-'), 'spool')
  writeStatus(spool, process.pid, 0)
  const cmd = [process.execPath, BIN, 'status', '--channel', sim.dir, '--spool', spool].map(a => `'${a}'`).join(' ')
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, KRELAY_DEBUG: '' } })
  assert.equal(r.status, 0, r.stderr)
  const lines = r.stdout.replace(/\r/g, '').split('\n')
  assert.match(lines[0]!, new RegExp(`^kernel +${sim.dir}: channel ${sim.channelId}, 4 sub-buffers of 4.0 KiB per CPU, level debug`))
  assert.match(lines[1]!, /^cpu +online +written +dropped +too_big +filtered +backlog$/)
  assert.match(lines[3]!, /^1 +yes +1 +0 +0 +0 +\d+$/)
  assert.match(r.stdout, /collector +running, pid \d+/)
  assert.match(r.stdout, /\n0 +2\.5 +10 +0\r?\n/)
  assert.match(r.stdout, /archive +1 files published \(1000 B\), 10 records merged, 0 lost in 0 loss rows; last publish/)
  assert.match(r.stdout, /live +no live stream/)
  sim.destroy()
})
