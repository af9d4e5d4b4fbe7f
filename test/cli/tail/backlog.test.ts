// krelay tail -n / --since / --no-follow against krelay collect on the simulator: the
// history (archive and spool) and the live stream meet with no gap and no duplicate.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { RelaySim } from '../../../collector/sim/relay-sim.ts'
import { parquetFiles } from '../../../offline/read-archive.ts'
import { driveGenerator, serveControl } from '../../collector/collect/sim-driver.ts'
import { jsonLines, run, startCollector, startTail, stop, until, type Proc } from '../live-run.ts'
import { archiveRows, type Row } from '../archive-rows.ts'
import { tempDir } from '../../temp-dir.ts'

interface Setup { sim: RelaySim, out: string, socket: string, collector: Proc, stopServing: () => void }

async function setup (): Promise<Setup> {
  const sim = new RelaySim({ cpus: [0, 1, 2], nSubbufs: 64, subbufSize: 4096, flushIntervalMs: 5 })
  const dir = tempDir('krelay-tail-n-')
  const out = path.join(dir, 'archive')
  const socket = path.join(dir, 'run', 'live.sock')
  const stopServing = serveControl(sim)
  // --file-age 1: part of the history is published, part still in the spool. --live-queue
  // 64 (MiB): a tail reads no socket while it reads the spool; a full queue would skip
  // records, the slow-subscriber path (collector/live/subscriber.ts), not what this tests
  const collector = await startCollector(sim, out, socket, ['--follow', '--file-age', '1', '--live-queue', '64'])
  return { sim, out, socket, collector, stopServing }
}

async function teardown (s: Setup): Promise<void> {
  assert.equal(await stop(s.collector), 0, s.collector.stderr())
  s.stopServing()
  s.sim.destroy()
}

const key = (r: { channel_id?: unknown, cpu?: unknown, seq?: unknown }): string => `${String(r.channel_id)}/${String(r.cpu)}/${String(r.seq)}`
const records = (p: Proc): Record<string, unknown>[] => jsonLines(p).filter(l => l.event === undefined)

/** Asserts `printed` is exactly rows[from..] (the archive in (ts, cpu, seq) order). */
function assertSuffix (printed: Record<string, unknown>[], rows: Row[], what: string): number {
  assert.ok(printed.length > 0, `${what}: printed something`)
  const from = rows.findIndex(r => key(r) === key(printed[0]!))
  assert.ok(from >= 0, `${what}: its first record is archived`)
  assert.deepEqual(printed.map(key), rows.slice(from).map(key), `${what}: history then live, no gap, no duplicate`)
  return from
}

test('-n N while records flow: the last N, then the live stream, no gap and no duplicate at the seam', async () => {
  const s = await setup()
  await driveGenerator(s.sim, 1500, 16)
  // beside the zero-row file the collector starts the dataset with (ARCHIVE.md, "Layout")
  await until(() => parquetFiles(path.join(s.out, 'records')).length > 1, 'a published file of records', 20_000)
  // long enough (at least 1.5 s) that the tails, three node processes, start while it runs on a loaded host
  const generating = driveGenerator(s.sim, 6000, 4)
  await sleep(30)
  const tails = [
    await startTail(s.socket, ['--json', '--out', s.out, '-n', '100']),
    await startTail(s.socket, ['--json', '--out', s.out]),
    await startTail(s.socket, ['--json', '--out', s.out, '-n', '50', '--cpu', '1']),
  ]
  await generating
  await sleep(300)
  await teardown(s)
  const rows = await archiveRows(s.out)
  assert.equal(rows.length, 3 * 7500)
  const all = tails.map(t => records(t))
  for (const t of tails) assert.equal(await t.exited, 0, t.stderr())
  const from = assertSuffix(all[0]!, rows, '-n 100')
  assert.ok(rows.length - from > 100, 'the tail started while records flowed')
  assertSuffix(all[1]!, rows, 'the default -n 10')
  const cpu1 = rows.filter(r => r.cpu === 1)
  assertSuffix(all[2]!, cpu1, '-n 50 --cpu 1')
})

test('--no-follow prints exactly the last N and exits 0; --since prints what is at or after it', async () => {
  const s = await setup()
  await driveGenerator(s.sim, 600, 16)
  await sleep(1500) // a file published, the newest records still spooled only
  const last = run(['tail', '--json', '--out', s.out, '-n', '25', '--no-follow'])
  assert.equal(await last.exited, 0, last.stderr())
  await teardown(s)
  const rows = await archiveRows(s.out)
  assert.equal(rows.length, 1800)
  assert.deepEqual(records(last).map(key), rows.slice(-25).map(key))
  const cut = rows[1000]!
  const ns = BigInt(cut.epoch_ns)
  const iso = `${new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19)}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}Z`
  const since = run(['tail', '--json', '--out', s.out, '--since', iso, '--no-follow'])
  assert.equal(await since.exited, 0, since.stderr())
  const want = rows.filter(r => BigInt(r.epoch_ns) >= ns)
  assert.deepEqual(records(since).map(key), want.map(key))
  const none = run(['tail', '--json', '--out', s.out, '--since', '-0s', '--no-follow'])
  assert.equal(await none.exited, 0, none.stderr())
  assert.equal(none.stdout(), '')
  const usage = run(['tail', '-n', '5'])
  assert.equal(await usage.exited, 2)
  assert.match(usage.stderr(), /give its directory with --out/)
})
