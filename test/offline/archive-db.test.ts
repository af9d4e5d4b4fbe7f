// openArchive on real archives: the simulator collector's (format v1) and its v2 copy,
// each view checked against DuckDB reading the same files directly.
import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { lit } from '../../collector/archive/sql.ts'
import { openArchive } from '../../offline/archive-db.ts'
import { listArchiveFiles } from '../../offline/archive-files.ts'
import { VIEW_COLUMNS } from '../../offline/archive-sql.ts'
import { tempDir } from '../temp-dir.ts'
import { copyAs, fixtureArchives } from './archive-fixture.ts'

let v1 = ''
let v2 = ''
before(async () => {
  const dir = tempDir('krelay-adb-')
  ;({ v1, v2 } = await fixtureArchives(dir))
})

const raw = (dir: string, dataset: string): string =>
  `read_parquet(${lit(path.join(dir, dataset, '**/*.parquet'))}, hive_partitioning = true, hive_types = {'host': 'VARCHAR'})`

async function all (conn: DuckDBConnection, sql: string): Promise<unknown[][]> {
  return (await conn.runAndReadAll(sql)).getRowsJS()
}

async function one (conn: DuckDBConnection, sql: string): Promise<unknown> {
  return (await all(conn, sql))[0]![0]
}

// the v1 files as the v2 view shape, written independently of offline/archive-sql.ts
const V1_RECORDS = `SELECT host, date, hour, epoch_ns(ts) AS ts_ns, mono_ns, epoch_ns(ts) - mono_ns AS mono_offset_ns, cpu, seq::BIGINT AS seq,
  level, type, ctx, pid, comm, msg, data, channel_id`
const VIEW_RECORDS = 'SELECT host, date, hour, ts_ns, mono_ns, mono_offset_ns, cpu, seq, level, type, ctx, pid, comm, msg, data, channel_id'
const V1_LOSSES = 'SELECT host, cpu, first_seq::BIGINT, count::BIGINT, epoch_ns(ts_from), epoch_ns(ts_to), reason, channel_id'
const VIEW_LOSSES = 'SELECT host, cpu, first_seq, count, ts_from_ns, ts_to_ns, reason, channel_id'

async function sameRows (conn: DuckDBConnection, a: string, b: string, what: string): Promise<void> {
  const n = await one(conn, `SELECT count(*) FROM (${a})`)
  assert.equal(await one(conn, `SELECT count(*) FROM (${b})`), n, `${what}: row counts`)
  assert.equal(await one(conn, `SELECT count(*) FROM ((${a}) EXCEPT ALL (${b}))`), 0n, `${what}: rows only in the first`)
  assert.equal(await one(conn, `SELECT count(*) FROM ((${b}) EXCEPT ALL (${a}))`), 0n, `${what}: rows only in the second`)
}

test('a v1 archive: every record and loss row, mapped to the v2 shape exactly (ts_ns, mono_ns, seq)', async () => {
  const db = await openArchive([v1])
  try {
    assert.ok(Number(await one(db.conn, `SELECT count(*) FROM ${raw(v1, 'losses')}`)) > 0, 'the fixture has loss rows')
    await sameRows(db.conn, `${VIEW_RECORDS} FROM records`, `${V1_RECORDS} FROM ${raw(v1, 'records')}`, 'records')
    await sameRows(db.conn, `${VIEW_LOSSES} FROM losses`, `${V1_LOSSES} FROM ${raw(v1, 'losses')}`, 'losses')
    // ts is the UTC microsecond of ts_ns; ts_nanos the rest
    assert.equal(await one(db.conn, 'SELECT count(*) FROM records WHERE epoch_us(ts) * 1000 + ts_nanos <> ts_ns OR ts_nanos NOT BETWEEN 0 AND 999'), 0n)
    assert.ok(db.files.every(f => f.version === 1))
  } finally {
    db.close()
  }
})

test('a v2 archive reads as the v1 archive it was copied from; both at once are two hosts, and a numeric host stays text', async () => {
  const db = await openArchive([v1, v2])
  try {
    await sameRows(db.conn, `${VIEW_RECORDS.replace('host,', '')} FROM records WHERE host = '0042'`, `${V1_RECORDS.replace('host,', '')} FROM ${raw(v1, 'records')}`, 'v2 records')
    await sameRows(db.conn, `${VIEW_LOSSES.replace('host,', '')} FROM losses WHERE host = '0042'`, `${V1_LOSSES.replace('host,', '')} FROM ${raw(v1, 'losses')}`, 'v2 losses')
    // v2's stored columns come through unchanged
    await sameRows(db.conn, 'SELECT ts, ts_nanos, mono_offset_ns, cpu, seq FROM records WHERE host = \'0042\'',
      `SELECT ts, ts_nanos, mono_offset_ns, cpu, seq FROM ${raw(v2, 'records')}`, 'v2 stored columns')
    assert.deepEqual(await all(db.conn, 'SELECT DISTINCT host, typeof(host) FROM records ORDER BY 1'), [['0042', 'VARCHAR'], ['sim', 'VARCHAR']])
    assert.deepEqual(new Set(db.files.map(f => `${f.host}:${f.version}`)), new Set(['sim:1', '0042:2']))
    const types = await all(db.conn, 'SELECT column_name, column_type FROM (DESCRIBE records)')
    assert.deepEqual(types.map(r => r[0]), VIEW_COLUMNS.records.map(c => c[0]))
  } finally {
    db.close()
  }
})

test('--since/--until: [since, until) to the nanosecond; hours outside are not read, nor other hosts', async () => {
  const probe = await openArchive([v1])
  // a window from one record's exact time to another's, past the full hour
  const [since, until] = (await all(probe.conn, 'SELECT quantile_disc(ts_ns, 0.7), quantile_disc(ts_ns, 0.9) FROM records WHERE hour = \'07\''))[0] as [bigint, bigint]
  probe.close()
  const db = await openArchive([v1, v2], { since, until, hosts: ['0042'] })
  try {
    const expect = await one(db.conn, `SELECT count(*) FROM ${raw(v1, 'records')} WHERE epoch_ns(ts) >= ${since} AND epoch_ns(ts) < ${until}`)
    assert.ok(Number(expect) > 0)
    assert.equal(await one(db.conn, 'SELECT count(*) FROM records'), expect)
    assert.equal(await one(db.conn, `SELECT count(*) FROM records WHERE ts_ns = ${since}`), 1n, 'since is inclusive')
    assert.equal(await one(db.conn, `SELECT count(*) FROM records WHERE ts_ns = ${until}`), 0n, 'until is exclusive')
    assert.deepEqual(await all(db.conn, 'SELECT DISTINCT host FROM records'), [['0042']])
    assert.ok(db.files.every(f => f.host === '0042'), 'other hosts are not listed')
    assert.ok(db.files.filter(f => f.dataset === 'records').every(f => f.hour === '07'), 'hour 06 ends before since: not listed')
    const lossExpect = await one(db.conn, `SELECT count(*) FROM ${raw(v1, 'losses')} WHERE epoch_ns(ts_to) >= ${since} AND epoch_ns(ts_from) < ${until}`)
    assert.equal(await one(db.conn, 'SELECT count(*) FROM losses'), lossExpect, 'loss rows that overlap the window')
  } finally {
    db.close()
  }
  // a window that starts at a loss row's end and ends just after its start holds it
  const last = await openArchive([v1])
  const [from, to] = (await all(last.conn, 'SELECT ts_from_ns, ts_to_ns FROM losses ORDER BY ts_to_ns DESC LIMIT 1'))[0] as [bigint, bigint]
  last.close()
  const around = await openArchive([v1], { since: to, until: from + 1n })
  const outside = await openArchive([v1], { since: to + 1n })
  try {
    const overlap = `SELECT count(*) FROM ${raw(v1, 'losses')} WHERE epoch_ns(ts_to) >= ${to} AND epoch_ns(ts_from) <= ${from}`
    assert.ok(Number(await one(around.conn, overlap)) > 0)
    assert.equal(await one(around.conn, 'SELECT count(*) FROM losses'), await one(around.conn, overlap))
    assert.equal(await one(outside.conn, 'SELECT count(*) FROM losses'), 0n, 'no loss row ends after the last one')
  } finally {
    around.close()
    outside.close()
  }
})

test('no files: both views exist, with their columns and no rows; dot files and dot directories are never read', async () => {
  const dir = tempDir('krelay-adb-empty-')
  const empty = path.join(dir, 'empty')
  fs.mkdirSync(path.join(empty, 'records'), { recursive: true })
  const db = await openArchive([empty, path.join(dir, 'missing')])
  try {
    for (const ds of ['records', 'losses'] as const) {
      assert.equal(await one(db.conn, `SELECT count(*) FROM ${ds}`), 0n)
      const cols = await all(db.conn, `SELECT column_name, column_type FROM (DESCRIBE ${ds})`)
      assert.deepEqual(cols.map(c => c[0]), VIEW_COLUMNS[ds].map(c => c[0]))
    }
  } finally {
    db.close()
  }
  // a zero-row v2 losses file, and copies of real files under dot names
  const v2e = path.join(dir, 'v2e')
  await copyAs(v1, v2e, 'e', 2, true)
  const rec = fs.readdirSync(path.join(v2e, 'records/host=e'), { recursive: true }).map(String).find(n => n.endsWith('.parquet'))!
  const src = path.join(v2e, 'records/host=e', rec)
  fs.copyFileSync(src, path.join(path.dirname(src), '.copy.parquet.partial'))
  fs.copyFileSync(src, path.join(path.dirname(src), '.copy.parquet'))
  fs.mkdirSync(path.join(v2e, 'records/host=e/.spool/date=2026-03-09/hour=07'), { recursive: true })
  fs.copyFileSync(src, path.join(v2e, 'records/host=e/.spool/date=2026-03-09/hour=07/x.parquet'))
  const db2 = await openArchive([v2e])
  try {
    assert.equal(await one(db2.conn, 'SELECT count(*) FROM losses'), 0n)
    assert.equal(await one(db2.conn, 'SELECT count(*) FROM records'), await one(db2.conn, `SELECT count(*) FROM ${raw(v1, 'records')}`))
    assert.ok(db2.files.every(f => !f.path.includes('/.')))
  } finally {
    db2.close()
  }
})

test('the file lister is a hook (compaction plugs in there): the views read what it lists', async () => {
  const all = await listArchiveFiles(v1, 'records')
  assert.ok(all.length > 1)
  const db = await openArchive([v1], {}, { listFiles: async (d, ds) => ds === 'records' ? (await listArchiveFiles(d, ds)).slice(0, 1) : [] })
  try {
    assert.deepEqual(db.files.map(f => f.path), [all[0]!.path])
    assert.equal(await one(db.conn, 'SELECT count(*) FROM records'), await one(db.conn, `SELECT count(*) FROM read_parquet(${lit(all[0]!.path)})`))
    assert.equal(await one(db.conn, 'SELECT count(*) FROM losses'), 0n)
  } finally {
    db.close()
  }
})

test('a file of an unknown format version is refused, naming it; a caller\'s instance holds two archives at once', async () => {
  const dir = tempDir('krelay-adb-v3-')
  const f = path.join(dir, 'records/host=h/date=2026-03-09/hour=07/x.parquet')
  fs.mkdirSync(path.dirname(f), { recursive: true })
  const inst = await DuckDBInstance.create(':memory:')
  const c = await inst.connect()
  await c.run(`COPY (SELECT 1 AS a) TO ${lit(f)} (FORMAT parquet, KV_METADATA {'krelay.archive': '3'})`)
  await assert.rejects(openArchive([dir]), (e: Error) => e.message === `${f} is archive format version 3 (krelay.archive); this krelay reads versions 1 and 2`)
  const a = await openArchive([v1], {}, { instance: inst })
  const b = await openArchive([v2], {}, { instance: inst })
  try {
    assert.deepEqual(await all(a.conn, 'SELECT DISTINCT host FROM records'), [['sim']])
    assert.deepEqual(await all(b.conn, 'SELECT DISTINCT host FROM records'), [['0042']])
  } finally {
    a.close()
    b.close()
    c.closeSync()
    inst.closeSync()
  }
})
