// krelay tail --archive as a user runs it: a subprocess following a directory that two
// hosts publish into, files written by the collector's RecordsWriter and published as the
// collector publishes them. Its --json lines are compared with what DuckDB reads.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { jsonLines, run, until, type Proc } from '../live-run.ts'
import { BIN } from '../run.ts'
import { tempDir } from '../../temp-dir.ts'
import { publish, writeRecords } from './archive-files.ts'

interface Row { [k: string]: unknown, ts_ns: string, host: string, cpu: number, seq: number, level: string }

/** Every record row under `dir`, in (ts, host, cpu, seq) order, with tail's JSON names. */
async function duckRows (dir: string): Promise<Row[]> {
  const { DuckDBInstance } = await import('@duckdb/node-api')
  const db = await DuckDBInstance.create(':memory:')
  const conn = await db.connect()
  try {
    const glob = path.join(dir, 'records/**/*.parquet').replace(/'/g, "''")
    const r = await conn.runAndReadAll(`SELECT (epoch_us(ts) * 1000 + ts_nanos)::VARCHAR AS ts_ns, host,
      (epoch_us(ts) * 1000 + ts_nanos - mono_offset_ns)::VARCHAR AS mono_ns, cpu, seq::INTEGER AS seq,
      level, type, ctx, pid, comm, msg, to_base64(data) AS data, channel_id
      FROM read_parquet('${glob}', hive_partitioning = true, hive_types = {'host': 'VARCHAR'}) ORDER BY ts, ts_nanos, host, cpu, seq`)
    return r.getRowObjectsJS() as unknown as Row[]
  } finally {
    conn.closeSync()
    db.closeSync()
  }
}

/** What a JSON line must hold for a row (all of it but ts, which is compared as ns). */
function fields (o: Record<string, unknown>): Record<string, unknown> {
  return { mono_ns: o.mono_ns, cpu: o.cpu, seq: o.seq, level: o.level, type: o.type, ctx: o.ctx, pid: o.pid, comm: o.comm, msg: o.msg, data: o.data, channel_id: o.channel_id }
}

function utcNs (ts: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{9})Z$/.exec(ts)
  assert.ok(m, ts)
  return String(BigInt(Date.parse(`${m[1]}Z`)) * 1000000n + BigInt(m[2]!))
}

function assertPrinted (p: Proc, want: Row[], what: string): void {
  const got = jsonLines(p)
  assert.equal(got.length, want.length, `${what}: line count`)
  for (let i = 0; i < want.length; i++) {
    assert.deepEqual(fields(got[i]!), fields(want[i]!), `${what}: line ${i + 1}`)
    assert.equal(utcNs(got[i]!.ts as string), want[i]!.ts_ns, `${what}: ts of line ${i + 1}`)
  }
}

async function startArchiveTail (dir: string, args: string[]): Promise<Proc> {
  const p = run(['tail', '--archive', dir, '--json', ...args])
  await until(() => /following archive/.test(p.stderr()) || p.child.exitCode !== null, 'the tail to follow the archive')
  return p
}

test('tail --archive: the last 10, then every published row once, two hosts merged by time; filters; SIGINT', async () => {
  const tmp = tempDir('krelay-tail-archive-')
  const dir = path.join(tmp, 'followed')
  const scratch = (name: string): string => path.join(tmp, name)
  // host a at whole ms, host b half a ms later: their rows interleave
  const batch = async (host: string, k: number): Promise<() => void> => {
    const s = scratch(`${host}${k}`)
    const file = await writeRecords(s, host, k * 40, 40, host === 'a' ? 0n : 500_000n)
    return () => publish(s, file, dir)
  }
  const first = [await batch('a', 0), await batch('b', 0)]
  const later = [await batch('a', 1), await batch('b', 1), await batch('a', 2), await batch('b', 2)]
  // a host counts as idle --archive-wait after its last file: long enough here for both
  // tails to start and every later file to be published
  for (const p of first) p()
  const all = await startArchiveTail(dir, ['--archive-wait', '6'])
  const filtered = await startArchiveTail(dir, ['--archive-wait', '6', '--cpu', '1', '--level', 'warning'])
  const initial = await duckRows(dir)
  assert.equal(initial.length, 80)
  await until(() => jsonLines(all).length === 10, 'the last 10 records')
  await sleep(300)
  assertPrinted(all, initial.slice(-10), 'the last 10')
  // published one after the other, quicker than the wait: each row is held until the other host passed it
  for (const p of later) {
    p()
    await sleep(150)
  }
  const every = await duckRows(dir)
  const fresh = every.slice(80)
  assert.equal(fresh.length, 160)
  assert.ok(fresh.every(r => BigInt(r.ts_ns) > BigInt(initial.at(-1)!.ts_ns)))
  // b's last rows come after a's last: printed once a has been idle for the wait
  await until(() => jsonLines(all).length === 170, 'every published row', 20_000)
  await sleep(500)
  assertPrinted(all, [...initial.slice(-10), ...fresh], 'after publishing')

  const wanted = (r: Row): boolean => r.cpu === 1 && ['emerg', 'alert', 'crit', 'err', 'warning'].includes(r.level)
  const initialWanted = initial.filter(wanted)
  await until(() => jsonLines(filtered).length === Math.min(10, initialWanted.length) + fresh.filter(wanted).length, 'the filtered rows')
  assertPrinted(filtered, [...initialWanted.slice(-10), ...fresh.filter(wanted)], '--cpu 1 --level warning')

  for (const p of [all, filtered]) {
    p.child.kill('SIGINT')
    assert.equal(await p.exited, 0, p.stderr())
  }
})

test('tail --archive | head -3 exits once head has its lines and more is published', async () => {
  const tmp = tempDir('krelay-tail-archive-head-')
  const dir = path.join(tmp, 'followed')
  const s0 = path.join(tmp, 's0')
  publish(s0, await writeRecords(s0, 'a', 0, 20, 0n), dir)
  const s1 = path.join(tmp, 's1')
  const more = await writeRecords(s1, 'a', 20, 20, 0n)
  const child = spawn('sh', ['-c', `"${process.execPath}" "${BIN}" tail --archive "${dir}" --json | head -3`], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (b: Buffer) => { out += b.toString() })
  await until(() => out.split('\n').length > 3, 'three lines')
  publish(s1, more, dir)
  const [code] = await Promise.race([once(child, 'close'), sleep(15_000).then(() => ['timeout'])])
  assert.equal(code, 0)
  assert.equal(out.trimEnd().split('\n').length, 3)
})

test('tail --archive: a compaction of the followed hours prints nothing again; files published after it are followed', async () => {
  const tmp = tempDir('krelay-tail-archive-compact-')
  const dir = path.join(tmp, 'followed')
  for (let k = 0; k < 3; k++) {
    const s = path.join(tmp, `s${k}`)
    publish(s, await writeRecords(s, 'a', k * 20, 20, 0n), dir)
  }
  const p = await startArchiveTail(dir, ['--archive-wait', '1'])
  await until(() => jsonLines(p).length === 10, 'the last 10 records')
  const { DuckDBInstance } = await import('@duckdb/node-api')
  const { listHourDirs } = await import('../../../collector/archive/compact-archive.ts')
  const { compactHour } = await import('../../../collector/archive/compact.ts')
  const db = await DuckDBInstance.create(':memory:')
  const conn = await db.connect()
  for (const h of await listHourDirs(dir)) assert.equal((await compactHour(conn, h.dir)).action, 'compacted')
  conn.closeSync()
  db.closeSync()
  await sleep(1500)
  const s = path.join(tmp, 's3')
  publish(s, await writeRecords(s, 'a', 60, 20, 0n), dir)
  await until(() => jsonLines(p).length >= 30, 'the rows published after the compaction')
  await sleep(1500)
  assert.deepEqual(jsonLines(p).map(o => o.seq), [...Array(10).keys()].map(i => 51 + i).concat([...Array(20).keys()].map(i => 61 + i)))
  p.child.kill('SIGINT')
  assert.equal(await p.exited, 0, p.stderr())
})
