// krelay compact DIR as a user runs it: bad options and directories refused with exit 2,
// the closed hours compacted (the current one only with --all-hours) with a line each
// and a total, --host and --since/--until honoured, and the rows checked with DuckDB.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { before, test } from 'node:test'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { H0, HOUR_NS, writeHour } from '../collector/archive/compact-fixtures.ts'
import { krelay } from './run.ts'
import { tempDir } from '../temp-dir.ts'

let conn: DuckDBConnection
before(async () => {
  conn = await (await DuckDBInstance.create(':memory:')).connect()
})

const parquet = (dir: string): string[] => (fs.readdirSync(dir, { recursive: true }) as string[]).filter(f => f.endsWith('.parquet')).sort()
const hiddenFiles = (dir: string): string[] => (fs.readdirSync(dir, { recursive: true }) as string[]).filter(f => path.basename(f).startsWith('.'))

/** (channel_id, cpu, seq) of every record: count, distinct, and a checksum of whole rows. */
async function tally (out: string): Promise<string> {
  const r = await conn.runAndReadAll(`SELECT count(*), count(DISTINCT (host, channel_id, cpu, seq)), sum(hash(ts, cpu, seq, msg, data)::HUGEINT)
    FROM read_parquet('${out}/records/**/*.parquet', hive_partitioning = true)`)
  return JSON.stringify(r.getRowsJson())
}

test('bad options and directories that are not archives: exit 2, one line naming the problem', () => {
  const dir = tempDir('krelay-cli-compact-')
  const cases: Array<[string[], RegExp]> = [
    [[dir], /holds neither records\/ nor losses\//],
    [[path.join(dir, 'nope')], /does not exist/],
    [[dir, '--zstd-level', '30'], /--zstd-level must be an integer from 1 to 22, got "30"/],
    [[dir, '--since', 'yesterday'], /--since must be an ISO 8601 time with its zone .*, got "yesterday"/],
    [[dir, '--host', '../x'], /--host must be host names .*got "\.\.\/x"/],
    [[dir, '--file-size', '0'], /--file-size must be a positive number of MiB, at most 1048576, got "0"/],
    [[], /missing required argument 'dir'/],
  ]
  for (const [args, re] of cases) {
    const r = krelay(['compact', ...args])
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`)
    assert.match(r.stderr, re)
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
  }
  fs.mkdirSync(path.join(dir, 'records'))
  const r = krelay(['compact', dir, '--since', '2026-11-30T12:00:00Z', '--until', '2026-11-30'])
  assert.equal(r.status, 2)
  assert.match(r.stderr, /--since must be before --until/)
})

test('compacts the closed hours with a line each and a total; the open hour only with --all-hours; a rerun has nothing to do', async () => {
  const out = path.join(tempDir('krelay-cli-compact-'), 'archive')
  const now = BigInt(Date.now()) * 1_000_000n
  const current = now - now % HOUR_NS
  await writeHour(conn, out, { version: '2', hourNs: H0, files: 3, rows: 3000, empty: 1 })
  await writeHour(conn, out, { version: '2', hourNs: H0 + HOUR_NS, files: 2, rows: 2000, seqBase: 1000, blocks: true })
  await writeHour(conn, out, { version: '2', dataset: 'losses', hourNs: H0, files: 2, rows: 50 })
  await writeHour(conn, out, { version: '2', hourNs: H0, files: 2, rows: 100, host: 'other' })
  await writeHour(conn, out, { version: '2', hourNs: current, files: 2, rows: 100, seqBase: 5000 })
  const before = await tally(out)
  // a file published a moment ago (a collector's late file) waits for a later run, unless --all-hours
  const young = path.join(out, 'records/host=h1/date=2026-11-30/hour=10', parquet(path.join(out, 'records/host=h1/date=2026-11-30/hour=10'))[0]!)
  const old = new Date(Date.now() - 120_000)
  for (const f of parquet(out)) if (path.join(out, f) !== young) fs.utimesSync(path.join(out, f), old, old)

  const r = krelay(['compact', out, '--host', 'h1', '--until', '2026-12-31'])
  assert.equal(r.status, 0, r.stderr)
  const lines = r.stdout.trim().split('\n')
  assert.deepEqual(lines.slice(0, -1).map(l => l.replace(/[\d.]+ KiB/g, 'N KiB')), [
    'losses host=h1 2026-11-30 10h: 2 files -> 1, 50 rows (sorted), N KiB -> N KiB',
    'records host=h1 2026-11-30 10h: 3 files -> 1, 2000 rows (sorted), N KiB -> N KiB',
    'records host=h1 2026-11-30 11h: 2 files -> 1, 2000 rows, N KiB -> N KiB',
  ])
  assert.match(lines.at(-1)!, /^krelay compact: 3 hours compacted, 7 files -> 3, 4050 rows, [\d.]+ KiB -> [\d.]+ KiB in [\d.]+ s; 1 not closed yet \(--all-hours takes them too\)$/)
  assert.equal(parquet(path.join(out, 'records/host=other')).length, 2)
  assert.equal(await tally(out), before)

  const all = krelay(['compact', out, '--all-hours'])
  assert.equal(all.status, 0, all.stderr)
  assert.match(all.stdout, /records host=h1 2026-11-30 10h: 2 files -> 1, 3000 rows/)
  assert.match(all.stdout, /records host=h1 \d{4}-\d\d-\d\d \d\dh: 2 files -> 1, 100 rows/)
  assert.match(all.stdout, /records host=other 2026-11-30 10h: 2 files -> 1, 100 rows/)
  assert.match(all.stdout, /krelay compact: 3 hours compacted, 6 files -> 3, 3200 rows, .*; 2 compacted already$/m)
  assert.equal(await tally(out), before)
  assert.deepEqual(hiddenFiles(out), [])

  const again = krelay(['compact', out, '--all-hours', '--since', '2026-11-30T10:30:00Z'])
  assert.equal(again.status, 0, again.stderr)
  assert.match(again.stdout, /^krelay compact: 0 hours compacted, 0 files -> 0, 0 rows, 0\.0 KiB -> 0\.0 KiB in [\d.]+ s; 5 compacted already\n$/)
})
