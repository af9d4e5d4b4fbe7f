// inspectArchive on a simulator collector's archive (v1) and its v2 copy under another
// host, each figure checked against DuckDB reading the same Parquet files directly.
import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { lit } from '../../collector/archive/sql.ts'
import { openArchive, type ArchiveFilter } from '../../offline/archive-db.ts'
import { inspectArchive, type Inspection } from '../../offline/inspect.ts'
import { tempDir } from '../cli/temp-dir.ts'
import { simArchive, toV2 } from './archive-fixture.ts'

let v1 = ''
let v2 = ''
let conn: DuckDBConnection
before(async () => {
  const dir = tempDir('krelay-inspect-')
  v1 = path.join(dir, 'v1')
  v2 = path.join(dir, 'v2')
  await simArchive(v1, 'sim')
  await toV2(v1, v2, '0042')
  conn = await (await DuckDBInstance.create(':memory:')).connect()
})

/** Every record of both archives as (host, ts_ns, cpu, level, type), read straight from the files. */
const RECORDS = (): string => `(SELECT host, epoch_ns(ts) AS ns, cpu, level, type FROM read_parquet(${lit(v1 + '/records/**/*.parquet')}, hive_partitioning = true, hive_types = {'host': 'VARCHAR'})
  UNION ALL SELECT host, epoch_us(ts) * 1000 + ts_nanos, cpu, level, type FROM read_parquet(${lit(v2 + '/records/**/*.parquet')}, hive_partitioning = true, hive_types = {'host': 'VARCHAR'}))`
const LOSSES = (): string => `(SELECT reason, count FROM read_parquet(${lit(v1 + '/losses/**/*.parquet')}) UNION ALL SELECT reason, count FROM read_parquet(${lit(v2 + '/losses/**/*.parquet')}))`

async function rows (sql: string): Promise<unknown[][]> {
  return (await conn.runAndReadAll(sql)).getRowsJS()
}

/** The *.parquet files under dir/dataset, as find(1) lists them. */
function parquet (dir: string, dataset: string): string[] {
  return (fs.readdirSync(path.join(dir, dataset), { recursive: true }) as string[]).filter(n => n.endsWith('.parquet')).map(n => path.join(dir, dataset, n))
}

async function inspect (filter: ArchiveFilter = {}): Promise<Inspection> {
  const db = await openArchive([v1, v2], filter)
  try {
    return await inspectArchive(db)
  } finally {
    db.close()
  }
}

async function expected (where: string): Promise<Omit<Inspection, 'hosts' | 'files' | 'losses'>> {
  const R = `(SELECT * FROM ${RECORDS()} ${where})`
  const [[n, first, last]] = await rows(`SELECT count(*), min(ns)::VARCHAR, max(ns)::VARCHAR FROM ${R}`) as [[bigint, string | null, string | null]]
  const busiest = await rows(`SELECT (ns // 1000000000 * 1000000000)::VARCHAR AS s, count(*) AS c FROM ${R} GROUP BY s ORDER BY c DESC, s LIMIT 1`)
  const span = first === null ? 0 : Number(BigInt(last!) - BigInt(first)) / 1e9
  return {
    records: Number(n),
    first,
    last,
    perCpu: (await rows(`SELECT cpu, count(*)::INTEGER FROM ${R} GROUP BY cpu ORDER BY cpu`)).map(([cpu, records]) => ({ cpu: cpu as number, records: records as number })),
    perLevel: (await rows(`SELECT level, count(*)::INTEGER FROM ${R} GROUP BY level ORDER BY list_position(['emerg','alert','crit','err','warning','notice','info','debug'], level)`))
      .map(([level, records]) => ({ level: level as string, records: records as number })),
    perType: (await rows(`SELECT type, count(*)::INTEGER AS c FROM ${R} GROUP BY type ORDER BY c DESC, type`)).map(([type, records]) => ({ type: type as string, records: records as number })),
    averagePerSecond: Number(n) === 0 ? 0 : Number(n) / span,
    busiestSecond: busiest.length === 0 ? null : { start: busiest[0]![0] as string, records: Number(busiest[0]![1]) },
  }
}

test('both archives: every figure is what DuckDB counts in the files', async () => {
  const r = await inspect()
  const { hosts, files, losses, ...figures } = r
  assert.deepEqual(figures, await expected(''))
  assert.ok(r.records > 9000 && r.perLevel.length === 8 && r.perType.length === 2, 'the fixture has levels and types to count')
  assert.deepEqual(losses, (await rows(`SELECT reason, count(*)::INTEGER, sum(count)::INTEGER FROM ${LOSSES()} GROUP BY reason ORDER BY reason`))
    .map(([reason, n, count]) => ({ reason, rows: n, count })))
  assert.ok(losses.length > 0)
  const size = (fs: string[]): number => fs.reduce((s, f) => s + statSize(f), 0)
  assert.deepEqual(files, [
    { dataset: 'records', files: parquet(v1, 'records').length + parquet(v2, 'records').length, bytes: size([...parquet(v1, 'records'), ...parquet(v2, 'records')]), versions: { 1: parquet(v1, 'records').length, 2: parquet(v2, 'records').length } },
    { dataset: 'losses', files: parquet(v1, 'losses').length + parquet(v2, 'losses').length, bytes: size([...parquet(v1, 'losses'), ...parquet(v2, 'losses')]), versions: { 1: parquet(v1, 'losses').length, 2: parquet(v2, 'losses').length } },
  ])
  const perHost = await rows(`SELECT host, count(*)::INTEGER, min(ns)::VARCHAR, max(ns)::VARCHAR FROM ${RECORDS()} GROUP BY host ORDER BY host`)
  assert.deepEqual(hosts, perHost.map(([host, records, first, last]) => {
    const dir = host === 'sim' ? v1 : v2
    return { host, records, first, last, recordFiles: parquet(dir, 'records').length, lossFiles: parquet(dir, 'losses').length, bytes: size([...parquet(dir, 'records'), ...parquet(dir, 'losses')]) }
  }))
})

function statSize (f: string): number {
  return fs.statSync(f).size
}

test('a window and a host: the figures of those rows only', async () => {
  const [[since, until]] = await rows(`SELECT quantile_disc(ns, 0.2), quantile_disc(ns, 0.6) FROM ${RECORDS()}`) as [[bigint, bigint]]
  const r = await inspect({ since, until, hosts: ['0042'] })
  const { hosts, files, losses: _, ...figures } = r
  assert.deepEqual(figures, await expected(`WHERE host = '0042' AND ns >= ${since} AND ns < ${until}`))
  assert.ok(r.records > 0)
  assert.deepEqual(hosts.map(h => h.host), ['0042'])
  assert.ok(files.every(f => f.versions[1] === undefined), 'no file of the other host (v1) is listed')
})

test('an archive with no files: zero records, no time, no busiest second', async () => {
  const empty = tempDir('krelay-inspect-empty-')
  fs.mkdirSync(path.join(empty, 'records'))
  const db = await openArchive([empty])
  try {
    const r = await inspectArchive(db)
    assert.deepEqual(r, {
      hosts: [],
      files: [{ dataset: 'records', files: 0, bytes: 0, versions: {} }, { dataset: 'losses', files: 0, bytes: 0, versions: {} }],
      records: 0,
      first: null,
      last: null,
      perCpu: [],
      perLevel: [],
      perType: [],
      losses: [],
      averagePerSecond: 0,
      busiestSecond: null,
    })
  } finally {
    db.close()
  }
})

test('progress: DuckDB\'s progress is reported while the records are scanned, ending at 100', async () => {
  const db = await openArchive([v1, v2])
  const ticks: number[] = []
  try {
    await inspectArchive(db, p => ticks.push(p))
  } finally {
    db.close()
  }
  assert.equal(ticks.at(-1), 100)
  assert.ok(ticks.every((p, i) => p >= 0 && p <= 100 && (i === 0 || p >= ticks[i - 1]!)), ticks.join(' '))
})
