// inspectArchive on a simulator collector's archive (v1) and its v2 copy under another
// host, each figure checked against DuckDB reading the same Parquet files directly.
import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { openArchive, type ArchiveFilter } from '../../offline/archive-db.ts'
import { inspectArchive, type Inspection } from '../../offline/inspect.ts'
import { tempDir } from '../temp-dir.ts'
import { fixtureArchives } from './archive-fixture.ts'
import { InspectOracle } from './inspect-oracle.ts'

let v1 = ''
let v2 = ''
let oracle: InspectOracle
before(async () => {
  const dir = tempDir('krelay-inspect-')
  ;({ v1, v2 } = await fixtureArchives(dir))
  oracle = new InspectOracle(await (await DuckDBInstance.create(':memory:')).connect(), v1, v2)
})

async function inspect (filter: ArchiveFilter = {}): Promise<Inspection> {
  const db = await openArchive([v1, v2], filter)
  try {
    return await inspectArchive(db)
  } finally {
    db.close()
  }
}

test('both archives: every figure is what DuckDB counts in the files', async () => {
  const r = await inspect()
  const { hosts, files, losses, ...figures } = r
  assert.deepEqual(figures, await oracle.figures())
  assert.ok(r.records > 9000 && r.perLevel.length === 8 && r.perType.length === 2, 'the fixture has levels and types to count')
  assert.deepEqual(losses, await oracle.losses())
  assert.ok(losses.length > 0)
  assert.deepEqual(files, oracle.files())
  assert.deepEqual(hosts, await oracle.hosts())
})

test('a window and a host: the figures of those rows only', async () => {
  const [[since, until]] = await oracle.rows(`SELECT quantile_disc(ns, 0.2), quantile_disc(ns, 0.6) FROM ${oracle.records()}`) as [[bigint, bigint]]
  const r = await inspect({ since, until, hosts: ['0042'] })
  const { hosts, files, losses: _, ...figures } = r
  assert.deepEqual(figures, await oracle.figures(`WHERE host = '0042' AND ns >= ${since} AND ns < ${until}`))
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
