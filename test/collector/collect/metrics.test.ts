// The collector's Prometheus metrics as an operator scrapes them: krelay collect spawned
// on the simulator with --metrics 127.0.0.1:0 (a free port, from its log line), real HTTP,
// values checked against the simulator's stats and status.json, and promtool's lint.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { RelaySim } from '../../../collector/sim/relay-sim.ts'
import type { CollectorStatus } from '../../../collector/collect/status-file.ts'
import { parseStats } from '../../../formats/stats.ts'
import { driveGenerator, serveControl } from './sim-driver.ts'
import { run, startCollector, stop, until } from '../../cli/live-run.ts'
import { tempDir } from '../../temp-dir.ts'

/** Sample lines `name{labels} value` of a text exposition, by `name{labels}`. */
function samples (text: string): Map<string, number> {
  const m = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const at = line.lastIndexOf(' ')
    m.set(line.slice(0, at), Number(line.slice(at + 1)))
  }
  return m
}

async function get (url: string): Promise<{ status: number, type: string, body: string }> {
  const res = await fetch(url)
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() }
}

test('--metrics: a scrape shows the kernel\'s counters, the spool, the merge and the archive as status.json has them; promtool finds nothing to say', async (t) => {
  const sim = new RelaySim({ cpus: [0, 1], subbufSize: 4096, nSubbufs: 64, flushIntervalMs: 5 })
  const dir = tempDir('krelay-metrics-')
  const out = path.join(dir, 'archive')
  const stopServing = serveControl(sim)
  const collector = await startCollector(sim, out, path.join(dir, 'live.sock'), ['--metrics', '127.0.0.1:0'])
  t.after(() => { collector.child.kill('SIGKILL'); stopServing() })
  const port = /krelay collect: metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics\n/.exec(collector.stderr())?.[1]
  assert.ok(port !== undefined, collector.stderr())
  const url = `http://127.0.0.1:${port}/metrics`
  await driveGenerator(sim, 3000, 16)
  const file = path.join(out, '.spool', 'status.json')
  const readStatus = (): CollectorStatus => JSON.parse(fs.readFileSync(file, 'utf8')) as CollectorStatus
  await until(() => {
    const s = readStatus()
    return s.cpus.reduce((n, c) => n + c.records, 0) === 6000 && (s.archive?.records ?? 0) > 0 && s.merge_lag_ms === 0
  }, 'the collector to spool 6000 records and archive some')
  // nothing moves any more: the status file, the scrape and the stats file agree
  await new Promise(resolve => setTimeout(resolve, 1500))
  const before = readStatus()
  const scrape = await get(url)
  const after = readStatus()
  assert.equal(scrape.status, 200)
  assert.match(scrape.type, /^text\/plain; version=0\.0\.4/)
  const m = samples(scrape.body)
  const stats = parseStats(fs.readFileSync(path.join(sim.dir, 'stats'), 'latin1'))
  for (const c of stats.cpus) {
    const cpu = `{cpu="${c.cpu}"}`
    assert.equal(m.get(`krelay_records_total${cpu}`), c.written)
    assert.equal(c.written, 3000)
    assert.equal(m.get(`krelay_dropped_records_total${cpu}`), c.dropped)
    assert.equal(m.get(`krelay_too_big_records_total${cpu}`), c.tooBig)
    assert.equal(m.get(`krelay_filtered_records_total${cpu}`), c.filtered)
    assert.equal(m.get(`krelay_backlog_subbufs${cpu}`), c.produced - c.consumed)
    assert.equal(m.get(`krelay_spooled_records_total${cpu}`), 3000)
  }
  assert.equal(after.spool_bytes, before.spool_bytes, 'the spool did not change during the scrape')
  assert.equal(m.get('krelay_spool_bytes'), after.spool_bytes)
  assert.equal(m.get('krelay_merge_lag_seconds'), 0)
  assert.equal(m.get('krelay_archived_records_total'), after.archive?.records)
  assert.equal(m.get('krelay_lost_records_total'), 0)
  assert.equal(m.get('krelay_archive_files_total'), after.archive?.files)
  assert.equal(m.get('krelay_archive_last_publish_timestamp_seconds'), after.archive?.last_publish_at == null ? 0 : Date.parse(after.archive.last_publish_at) / 1000)
  assert.equal(m.get('krelay_live_subscribers'), 0)
  assert.ok((m.get('process_resident_memory_bytes') ?? 0) > 10 * 1024 * 1024, 'prom-client\'s process metrics are there')
  for (const name of ['krelay_records_total', 'krelay_merge_lag_seconds', 'krelay_live_subscribers']) {
    assert.match(scrape.body, new RegExp(`^# HELP ${name} \\S.+\\n# TYPE ${name} (counter|gauge)$`, 'm'))
  }

  const lint = spawnSync('promtool', ['check', 'metrics'], { input: scrape.body, encoding: 'utf8' })
  assert.equal(lint.status, 0, lint.stdout + lint.stderr)
  assert.equal(lint.stdout + lint.stderr, '', 'promtool check metrics has nothing to say')

  assert.equal((await get(`http://127.0.0.1:${port}/`)).status, 404)
  assert.equal((await get(`http://127.0.0.1:${port}/metricsx`)).status, 404)
  assert.equal(await stop(collector), 0, collector.stderr())
  await assert.rejects(fetch(url), 'the metrics stop with the collector')
  stopServing()
  sim.destroy()
})

test('--metrics on an address in use: exit 2 with the address and why, nothing started', async (t) => {
  const busy = http.createServer()
  await new Promise<void>(resolve => busy.listen(0, '127.0.0.1', resolve))
  t.after(() => busy.close())
  const port = (busy.address() as { port: number }).port
  const sim = new RelaySim({ cpus: [0], subbufSize: 4096, nSubbufs: 4 })
  const out = path.join(tempDir('krelay-metrics-'), 'archive')
  const p = run(['collect', '--channel', sim.dir, '--out', out, '--no-live', '--metrics', `127.0.0.1:${port}`])
  assert.equal(await p.exited, 2)
  assert.match(p.stderr(), new RegExp(`^krelay collect: metrics on 127\\.0\\.0\\.1:${port}: cannot listen \\(EADDRINUSE\\): the address is in use .*choose another port\\n$`, 'm'))
  assert.ok(!fs.existsSync(path.join(out, '.spool', 'status.json')), 'no collector ran')
  assert.equal(fs.readdirSync(path.join(sim.dir)).filter(n => n.endsWith('.krcap')).length, 0)
  const bad = run(['collect', '--channel', sim.dir, '--out', out, '--metrics', '127.0.0.1'])
  assert.equal(await bad.exited, 2)
  assert.match(bad.stderr(), /--metrics must be host:port.*got "127\.0\.0\.1"/)
  sim.destroy()
})
