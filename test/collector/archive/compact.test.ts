import assert from 'node:assert/strict'
import fs from 'node:fs'
import { join } from 'node:path'
import { before, test } from 'node:test'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { ARCHIVE_FORMAT_VERSION, RECORDS_SORT_KEY } from '../../../formats/archive-schema.ts'
import { compactHour, type CompactStep } from '../../../collector/archive/compact.ts'
import { JOURNAL_NAME, recoverHour, visibleFiles } from '../../../collector/archive/compact-journal.ts'
import { openArchive } from '../../../collector/archive/index.ts'
import { partitionDir } from '../../../collector/archive/paths.ts'
import { H0, HOUR_NS, writeHour } from './compact-fixtures.ts'
import { blankRow, fill, OFFSET, outDir, UPTIME } from './helpers.ts'

let conn: DuckDBConnection
before(async () => {
  conn = await (await DuckDBInstance.create(':memory:')).connect()
  await conn.run("SET TimeZone = 'UTC'")
})

const list = (files: readonly string[]): string => `[${files.map(f => `'${f}'`).join(', ')}]`
const src = (files: readonly string[]): string => `read_parquet(${list(files)}, hive_partitioning = false)`
const visible = (dir: string): string[] => fs.readdirSync(dir).filter(n => n.endsWith('.parquet') && !n.startsWith('.')).sort().map(n => join(dir, n))
const hidden = (dir: string): string[] => fs.readdirSync(dir).filter(n => n.startsWith('.'))

async function one (sql: string): Promise<unknown> {
  return (await conn.runAndReadAll(sql)).getRows()[0]![0]
}

/** Keeps the hour's rows in a table, to compare with after compaction. */
async function snapshot (dir: string, table: string): Promise<void> {
  await conn.run(`CREATE OR REPLACE TABLE ${table} AS SELECT * FROM ${src(visible(dir))}`)
}

/** Rows in one and not the other (as multisets), both ways. */
async function difference (table: string, files: readonly string[]): Promise<bigint> {
  return await one(`SELECT (SELECT count(*) FROM (SELECT * FROM ${table} EXCEPT ALL SELECT * FROM ${src(files)})) +
    (SELECT count(*) FROM (SELECT * FROM ${src(files)} EXCEPT ALL SELECT * FROM ${table}))`) as bigint
}

/** Rows of `file` that come before the row above them in (order): 0 when sorted. */
async function unsorted (file: string, order: string): Promise<bigint> {
  return await one(`SELECT count(*) FROM (SELECT (${order}) < lag((${order})) OVER (ORDER BY rn) AS bad
    FROM (SELECT *, row_number() OVER () AS rn FROM ${src([file])})) WHERE bad`) as bigint
}

/** Row count and the smallest and largest exact time of a v2 records file. */
async function span (file: string): Promise<bigint[]> {
  const exact = 'epoch_us(ts) * 1000 + ts_nanos'
  return (await conn.runAndReadAll(`SELECT count(*), min(${exact}), max(${exact}) FROM ${src([file])}`)).getRows()[0] as bigint[]
}

async function kv (file: string): Promise<Record<string, string>> {
  const rows = (await conn.runAndReadAll(`SELECT decode(key), decode(value) FROM parquet_kv_metadata('${file}')`)).getRows()
  return Object.fromEntries(rows.map(r => [r[0] as string, r[1] as string]))
}

test('v2 records: several files and zero-row ones become one file, sorted, every row exactly once, at zstd 9 with the kv metadata', async () => {
  const out = outDir()
  const dir = await writeHour(conn, out, { version: '2', hourNs: H0, files: 4, rows: 30_000, empty: 2 })
  await snapshot(dir, 'v2_before')
  const r = await compactHour(conn, dir, { rowGroupSize: 8192 })
  assert.equal(r.action, 'compacted', r.reason)
  assert.deepEqual([r.filesIn, r.filesOut, r.rows, r.sorted], [6, 1, 30_000, true])
  const files = visible(dir)
  assert.equal(files.length, 1)
  assert.deepEqual(hidden(dir), [])
  assert.equal(await difference('v2_before', files), 0n)
  assert.equal(await unsorted(files[0]!, 'ts, ts_nanos, cpu, seq'), 0n)
  assert.deepEqual(await kv(files[0]!), { 'krelay.archive': '2', 'krelay.dataset': 'records', 'krelay.compacted': '1' })
  const groups = (await conn.runAndReadAll(`SELECT DISTINCT row_group_num_rows, compression FROM parquet_metadata('${files[0]}') ORDER BY 1`)).getRows()
  assert.deepEqual(groups.map(g => g[1]), groups.map(() => 'ZSTD'))
  assert.equal(groups.at(-1)![0], 8192n)
  assert.equal(r.bytesOut, fs.statSync(files[0]!).size)
})

test('files that do not overlap (as a collector writes them) are copied in order, unsorted: the same rows, in order, also when cut into parts', async () => {
  const out = outDir()
  const dir = await writeHour(conn, out, { version: '2', hourNs: H0, files: 5, rows: 20_000, empty: 1, blocks: true })
  await snapshot(dir, 'blocks_before')
  const bytesIn = visible(dir).reduce((n, f) => n + fs.statSync(f).size, 0)
  const r = await compactHour(conn, dir, { maxFileBytes: Math.ceil(bytesIn / 2) })
  assert.equal(r.action, 'compacted', r.reason)
  assert.deepEqual([r.filesIn, r.filesOut, r.rows, r.sorted], [6, 2, 20_000, false])
  const files = visible(dir)
  assert.equal(await difference('blocks_before', files), 0n)
  let lastMax = -1n
  for (const f of files) {
    assert.equal(await unsorted(f, 'ts, ts_nanos, cpu, seq'), 0n)
    const [, lo, hi] = await span(f)
    assert.ok(lo! > lastMax, `${f} starts at ${lo} before the previous part ends at ${lastMax}`)
    lastMax = hi!
  }
})

test('an hour that would be in order but for one file out of order is sorted: the output is in order', async () => {
  const out = outDir()
  const dir = await writeHour(conn, out, { version: '2', hourNs: H0, files: 3, rows: 9000, blocks: true, unsortedFile: 1 })
  await snapshot(dir, 'unsorted_before')
  const r = await compactHour(conn, dir)
  assert.equal(r.action, 'compacted', r.reason)
  assert.equal(r.sorted, true)
  assert.equal(await difference('unsorted_before', visible(dir)), 0n)
  assert.equal(await unsorted(visible(dir)[0]!, 'ts, ts_nanos, cpu, seq'), 0n)
})

test('an hour compacted already is left alone; a late file makes it due again and both are merged', async () => {
  const out = outDir()
  const dir = await writeHour(conn, out, { version: '2', hourNs: H0, files: 3, rows: 3000 })
  assert.equal((await compactHour(conn, dir)).action, 'compacted')
  const [file] = visible(dir)
  const again = await compactHour(conn, dir)
  assert.equal(again.action, 'skipped')
  assert.equal(again.reason, 'compacted already')
  assert.deepEqual(visible(dir), [file])
  // a late file of the same hour (a crash replay): seqs not in the hour yet
  await writeHour(conn, out, { version: '2', hourNs: H0, files: 1, rows: 500, seqBase: 10_000 })
  await snapshot(dir, 'late_before')
  const late = await compactHour(conn, dir)
  assert.equal(late.action, 'compacted')
  assert.deepEqual([late.filesIn, late.filesOut, late.rows], [2, 1, 3500])
  assert.equal(await difference('late_before', visible(dir)), 0n)
})

test('over the size limit the output is cut into parts at times: no overlap, names in time order, every row once', async () => {
  const out = outDir()
  const dir = await writeHour(conn, out, { version: '2', hourNs: H0, files: 5, rows: 40_000 })
  await snapshot(dir, 'split_before')
  const bytesIn = visible(dir).reduce((n, f) => n + fs.statSync(f).size, 0)
  const limit = Math.ceil(bytesIn / 4)
  const r = await compactHour(conn, dir, { maxFileBytes: limit })
  assert.equal(r.action, 'compacted')
  assert.equal(r.filesOut, 4)
  const files = visible(dir)
  assert.equal(files.length, 4)
  assert.equal(await difference('split_before', files), 0n)
  let lastMax = -1n
  for (const f of files) {
    assert.equal(await unsorted(f, 'ts, ts_nanos, cpu, seq'), 0n)
    const [n, lo, hi] = await span(f)
    assert.ok(lo! > lastMax, `${f} starts at ${lo} before the previous part ends at ${lastMax}`)
    assert.ok(n! >= 9000n && n! <= 11_000n, `${f} has ${n} rows, not about a quarter`)
    // the cut is made on input bytes; a small part carries its footer and dictionaries on top
    assert.ok(fs.statSync(f).size <= limit * 1.5, `${f} is ${fs.statSync(f).size} bytes, far over the limit ${limit}`)
    lastMax = hi!
  }
})

test('files from the collector\'s writer: compacted in their shape (same columns and types, format 2), sorted by the schema\'s order', async () => {
  const out = outDir()
  const a = await openArchive({ out, host: 'h1', maxFileBytes: 64 * 1024, tempDirectory: join(out, '.tmp') })
  a.setChannel({ channelId: '9f3c2a71d04b5e86', monoToRealtimeNs: OFFSET })
  const row = blankRow()
  for (let i = 0; i < 20_000; i++) {
    a.records.append(fill(row, i, UPTIME + BigInt(i) * 1_000_000n))
    if (i % 2000 === 1999) await a.records.publishAll()
  }
  await a.close()
  // the hour of the rows (the writer's zero-row file, if any, is in the hour it started)
  const dirs = fs.readdirSync(join(out, 'records/host=h1'), { recursive: true }).map(String)
    .filter(p => /hour=\d\d$/.test(p) && visible(join(out, 'records/host=h1', p)).length > 1)
  assert.equal(dirs.length, 1)
  const dir = join(out, 'records/host=h1', dirs[0]!)
  const inputs = visible(dir)
  assert.ok(inputs.length > 3, `the writer wrote ${inputs.length} files`)
  await snapshot(dir, 'writer_before')
  const types = async (f: string): Promise<string> => JSON.stringify((await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${src([f])}`)).getRows())
  const before = await types(inputs[0]!)
  const r = await compactHour(conn, dir)
  assert.equal(r.action, 'compacted', r.reason)
  const [file] = visible(dir)
  assert.equal(await types(file!), before)
  assert.equal(await difference('writer_before', [file!]), 0n)
  assert.equal(await unsorted(file!, RECORDS_SORT_KEY.join(', ')), 0n)
  assert.equal((await kv(file!))['krelay.archive'], ARCHIVE_FORMAT_VERSION)
})

test('format 1 files (an archive from before format 2): compacted as format 1, sorted by ts, cpu, seq', async () => {
  const out = outDir()
  const dir = await writeHour(conn, out, { version: '1', hourNs: H0, files: 3, rows: 3000 })
  await snapshot(dir, 'v1_before')
  const r = await compactHour(conn, dir)
  assert.equal(r.action, 'compacted', r.reason)
  const files = visible(dir)
  assert.equal(files.length, 1)
  assert.equal(await difference('v1_before', files), 0n)
  assert.equal(await unsorted(files[0]!, 'ts, cpu, seq'), 0n)
  assert.equal((await kv(files[0]!))['krelay.archive'], '1')
})

test('an hour mixing v1 and v2 files is left as it is, with the reason', async () => {
  const out = outDir()
  await writeHour(conn, out, { version: '1', hourNs: H0, files: 2, rows: 100 })
  const dir = await writeHour(conn, out, { version: '2', hourNs: H0, files: 1, rows: 100 })
  const files = visible(dir)
  const r = await compactHour(conn, dir)
  assert.equal(r.action, 'refused')
  assert.match(r.reason!, /archive versions 1 and 2/)
  assert.deepEqual(visible(dir), files)
  assert.deepEqual(hidden(dir), [])
})

test('zero-row files only: one zero-row file with the same columns, named at the hour', async () => {
  const out = outDir()
  const dir = await writeHour(conn, out, { version: '2', dataset: 'losses', hourNs: H0 + 3n * HOUR_NS, files: 0, rows: 0, empty: 3 })
  const cols = JSON.stringify((await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${src(visible(dir).slice(0, 1))}`)).getRows())
  const r = await compactHour(conn, dir)
  assert.equal(r.action, 'compacted', r.reason)
  const [file] = visible(dir)
  assert.equal(visible(dir).length, 1)
  assert.match(file!, /20261130T130000\.000000000-[0-9a-f]{8}\.parquet$/)
  assert.equal(await one(`SELECT count(*) FROM ${src([file!])}`), 0n)
  assert.equal(JSON.stringify((await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${src([file!])}`)).getRows()), cols)
})

test('v2 losses: compacted, sorted by ts_from, ts_from_nanos, cpu, first_seq', async () => {
  const out = outDir()
  const dir = await writeHour(conn, out, { version: '2', dataset: 'losses', hourNs: H0, files: 3, rows: 2000, empty: 1 })
  await snapshot(dir, 'losses_before')
  assert.equal((await compactHour(conn, dir)).action, 'compacted')
  const files = visible(dir)
  assert.equal(await difference('losses_before', files), 0n)
  assert.equal(await unsorted(files[0]!, 'ts_from, ts_from_nanos, cpu, first_seq'), 0n)
})

test('an output that does not hold the inputs\' rows is refused before the swap: inputs kept, nothing hidden left', async () => {
  const out = outDir()
  const dir = await writeHour(conn, out, { version: '2', hourNs: H0, files: 3, rows: 900 })
  const files = visible(dir)
  const r = await compactHour(conn, dir, {
    afterStep: (step) => {
      if (step !== 'written') return
      const partial = fs.readdirSync(dir).find(n => n.endsWith('.partial'))!
      fs.copyFileSync(files[0]!, join(dir, partial)) // a third of the rows
    },
  })
  assert.equal(r.action, 'failed')
  assert.match(r.reason!, /300 rows .* against 900 rows/)
  assert.deepEqual(visible(dir), files)
  assert.deepEqual(hidden(dir), [])
})

test('an output with the inputs\' rows out of order is refused before the swap: inputs kept', async () => {
  const out = outDir()
  const dir = await writeHour(conn, out, { version: '2', hourNs: H0, files: 3, rows: 900, blocks: true })
  const files = visible(dir)
  const r = await compactHour(conn, dir, {
    afterStep: async (step) => {
      if (step !== 'written') return
      const partial = join(dir, fs.readdirSync(dir).find(n => n.endsWith('.partial'))!)
      fs.rmSync(partial)
      await conn.run(`COPY (SELECT * FROM ${src(files)} ORDER BY hash(seq)) TO '${partial}' (FORMAT parquet, PARQUET_VERSION V2)`)
    },
  })
  assert.equal(r.action, 'failed')
  assert.match(r.reason!, /900 rows \(checksum \d+, [1-9]\d* out of order\) against 900 rows/)
  assert.deepEqual(visible(dir), files)
  assert.deepEqual(hidden(dir), [])
})

const STEPS: CompactStep[] = ['written', 'checked', 'journaled', 'renamed', 'unlinked', 'done']

for (const step of STEPS) {
  test(`crash after "${step}": visibleFiles shows every row once meanwhile; the next run recovers and compacts; nothing hidden left`, async () => {
    const out = outDir()
    const dir = await writeHour(conn, out, { version: '2', hourNs: H0, files: 4, rows: 4000, empty: 1 })
    await snapshot(dir, 'crash_before')
    await assert.rejects(compactHour(conn, dir, { maxFileBytes: 40_000, afterStep: (s) => { if (s === step) throw new Error('crash') } }), /crash/)
    assert.equal(await difference('crash_before', (await visibleFiles(dir)).map(n => join(dir, n))), 0n)
    const r = await compactHour(conn, dir)
    assert.equal(r.recovered, ['journaled', 'renamed', 'unlinked'].includes(step) ? 'finished' : 'none')
    assert.equal(await difference('crash_before', visible(dir)), 0n)
    assert.deepEqual(hidden(dir), [])
    // before the journal the outputs were only hidden partials: removed, and the hour compacted anew
    assert.equal(r.action, step === 'written' || step === 'checked' ? 'compacted' : 'skipped')
  })
}

test('a journal whose output partials are gone (the collector\'s start removes partials) is rolled back: the inputs stay', async () => {
  const out = outDir()
  const dir = await writeHour(conn, out, { version: '2', hourNs: H0, files: 3, rows: 900 })
  const files = visible(dir)
  await assert.rejects(compactHour(conn, dir, { afterStep: (s) => { if (s === 'journaled') throw new Error('crash') } }))
  assert.ok(fs.existsSync(join(dir, JOURNAL_NAME)))
  for (const n of fs.readdirSync(dir)) if (n.endsWith('.parquet.partial')) fs.unlinkSync(join(dir, n))
  assert.equal(await recoverHour(dir), 'rolled back')
  assert.deepEqual(visible(dir), files)
  assert.deepEqual(hidden(dir), [])
})

test('a directory held by a live process is busy, and left alone', async () => {
  const out = outDir()
  const dir = await writeHour(conn, out, { version: '2', hourNs: H0, files: 2, rows: 10 })
  fs.writeFileSync(join(dir, '.krelay-compact.lock'), String(process.ppid))
  const r = await compactHour(conn, dir)
  assert.equal(r.action, 'busy')
  assert.equal(visible(dir).length, 2)
  fs.writeFileSync(join(dir, '.krelay-compact.lock'), '999999999') // no such process: taken over
  assert.equal((await compactHour(conn, dir)).action, 'compacted')
  assert.deepEqual(hidden(dir), [])
  assert.equal(partitionDir(out, 'records', 'h1', Number(H0 / HOUR_NS)), dir)
})
