// The archive read by three independent readers: DuckDB, Polars (nodejs-polars, Rust
// parquet) and hyparquet (pure JS). Every column of every row, the partition columns
// included, must come back identical from all three, and a dataset without rows must
// scan as zero rows in each (formats/ARCHIVE.md, "Reading"). Values are compared as
// exact text: 64-bit integers and times as their stored integer, bytes as hex.

import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { after, before, describe, it } from 'node:test'
import pl from 'nodejs-polars'
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import {
  LOSSES_COLUMNS, PARTITION_COLUMNS, RECORDS_COLUMNS, type ArchiveColumn,
} from '../../formats/archive-schema.ts'
import { openArchive } from '../../collector/archive/index.ts'
import type { LossRow } from '../../collector/archive/types.ts'
import { blankRow, CH_A, CH_B, OFFSET, query, setMono, tempDir } from '../collector/archive/helpers.ts'

type Canon = (string | null)[]
const PARTS = PARTITION_COLUMNS.map((c) => c.name)

/** The stored integer of a column, as text: what every reader must agree on. */
function duckText (c: ArchiveColumn): string {
  const n = `"${c.name}"`
  switch (c.type as string) {
    case 'TIMESTAMP_NS': return `epoch_ns(${n})::VARCHAR`
    case 'TIMESTAMPTZ': return `epoch_us(${n})::VARCHAR`
    case 'BLOB': return `lower(hex(${n}))`
    default: return `${n}::VARCHAR`
  }
}

async function readDuck (dir: string, dataset: string, columns: readonly ArchiveColumn[]): Promise<Canon[]> {
  const list = [...columns.map(duckText), 'host', 'strftime("date", \'%Y-%m-%d\')', 'CAST("hour" AS INTEGER)::VARCHAR'].join(', ')
  const rows = await query(`SELECT ${list} FROM read_parquet('${dir}/${dataset}/**/*.parquet', hive_partitioning = true)`)
  return rows.map((r) => r.map((v) => (v === null ? null : String(v))))
}

function polarsText (c: ArchiveColumn): pl.Expr {
  const col = pl.col(c.name)
  switch (c.type as string) {
    case 'TIMESTAMP_NS': case 'TIMESTAMPTZ': return col.cast(pl.Int64).cast(pl.Utf8).alias(c.name)
    // a Binary column cannot cross into JS: its bytes come as a list of numbers
    case 'BLOB': return col.cast(pl.List(pl.UInt8)).alias(c.name)
    default: return col.cast(pl.Utf8).alias(c.name)
  }
}

function hex (bytes: ArrayLike<number>): string {
  return Buffer.from(Array.from(bytes)).toString('hex')
}

function readPolars (dir: string, dataset: string, columns: readonly ArchiveColumn[]): { rows: Canon[]; dtypes: Record<string, string> } {
  const scan = pl.scanParquet(`${dir}/${dataset}/**/*.parquet`, { hivePartitioning: true } as never)
  const df = scan.select(...columns.map(polarsText), pl.col('host'), pl.col('date').cast(pl.Utf8), pl.col('hour').cast(pl.Utf8)).collectSync()
  // the types Polars infers by itself (a Binary column's type cannot be shown in JS)
  const typed = scan.select(...columns.filter((c) => c.type !== 'BLOB').map((c) => pl.col(c.name)), ...PARTS.map((p) => pl.col(p))).limit(1)
  const dtypes = Object.fromEntries(Object.entries(typed.collectSync().schema).map(([k, v]) => [k, String(v)]))
  const rows = (df.toRecords() as Record<string, unknown>[]).map((r) => [...columns.map((c) => c.name), ...PARTS].map((k) => {
    const v = r[k]
    if (v === null || v === undefined) return null
    return Array.isArray(v) ? hex(v as number[]) : String(v)
  }))
  return { rows, dtypes }
}

/** Every *.parquet below dir/dataset, with its partition values from the path. */
function dataFiles (dir: string, dataset: string): { path: string; parts: string[] }[] {
  const root = join(dir, dataset)
  return (readdirSync(root, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile() && e.name.endsWith('.parquet') && !e.name.startsWith('.'))
    .map((e) => {
      const path = join(e.parentPath, e.name)
      const kv = Object.fromEntries(relative(root, e.parentPath).split(sep).map((s) => s.split('=') as [string, string]))
      return { path, parts: PARTS.map((p) => kv[p]!) }
    })
}

const keep = (v: bigint): bigint => v
async function readHyparquet (dir: string, dataset: string, columns: readonly ArchiveColumn[]): Promise<Canon[]> {
  const out: Canon[] = []
  for (const f of dataFiles(dir, dataset)) {
    const rows = await parquetReadObjects({
      file: await asyncBufferFromFile(f.path),
      compressors,
      utf8: false, // BLOB stays bytes; columns annotated as strings are still decoded
      parsers: { timestampFromMicroseconds: keep, timestampFromNanoseconds: keep } as never,
    })
    for (const r of rows) {
      out.push([...columns.map((c) => {
        const v = r[c.name]
        if (v === null || v === undefined) return null
        return v instanceof Uint8Array ? hex(v) : String(v)
      }), f.parts[0]!, f.parts[1]!, String(Number(f.parts[2]))])
    }
  }
  return out
}

const sorted = (rows: Canon[]): Canon[] => rows.map((r) => r.slice()).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))

const t = tempDir('krelay-readers-')
after(t.cleanup)
const full = join(t.dir, 'full')
const quiet = join(t.dir, 'quiet')
const HOUR = 3_600_000_000_000n

/** Two hosts, three hours, two channels, text and binary records, and losses on one host. */
async function writeArchive (out: string, host: string, withLosses: boolean): Promise<void> {
  const a = await openArchive({ out, host })
  const row = blankRow()
  const base = BigInt(Date.UTC(2025, 10, 25, 13, 59, 59)) * 1_000_000n - OFFSET
  let seq = 2 ** 52 - 40
  for (const [ch, off] of [[CH_A, OFFSET], [CH_B, OFFSET + 7n]] as const) {
    a.setChannel({ channelId: ch, monoToRealtimeNs: off })
    for (let i = 0; i < 30; i++) {
      setMono(row, base + BigInt(i) * (HOUR / 20n) + BigInt(i * 1_234_567 % 1000))
      row.cpu = i % 3
      row.seq = seq++
      row.level = i % 8
      row.type = i % 2 === 0 ? 0 : 0xff01
      row.ctx = i % 3
      row.pid = 100 + i
      row.comm = i % 5 === 0 ? 'kworker/0:1H' : `app-${i % 4}`
      row.kind = i % 2 === 0 ? 1 : 2
      row.msg = i % 2 === 0 ? (i % 6 === 0 ? '' : `ünïcode ✓ ${i} "quoted", tab\there`) : null
      row.data = i % 2 === 0 ? null : Uint8Array.from({ length: i % 7 }, (_, k) => (k * 97 + i) & 0xff)
      a.records.append(row)
    }
    if (withLosses) {
      const loss: LossRow = { cpu: 1, firstSeq: seq + 3, count: 5, fromHi: row.tsHi, fromLo: row.tsLo, toHi: row.tsHi, toLo: row.tsLo + 99, reason: 'dropped' }
      a.losses.append(loss)
      a.losses.append({ ...loss, cpu: 2, count: 2 ** 40, reason: 'collector' })
    }
  }
  await a.close()
}

describe('the archive read by DuckDB, Polars and hyparquet', () => {
  before(async () => {
    await writeArchive(full, 'web-01', true)
    await writeArchive(full, 'db-02', false)
    await writeArchive(quiet, 'web-01', false)
  })

  for (const [dataset, columns] of [['records', RECORDS_COLUMNS], ['losses', LOSSES_COLUMNS]] as const) {
    it(`${dataset}: every column of every row is the same in all three`, async () => {
      const duck = sorted(await readDuck(full, dataset, columns))
      assert.ok(duck.length >= (dataset === 'records' ? 120 : 4), `${duck.length} rows`)
      const polars = readPolars(full, dataset, columns)
      assert.deepEqual(sorted(polars.rows), duck, 'Polars differs from DuckDB')
      assert.deepEqual(sorted(await readHyparquet(full, dataset, columns)), duck, 'hyparquet differs from DuckDB')
      // no reader needs an option to see the partitions or the times with their types
      assert.equal(polars.dtypes['host'], String(pl.String))
      assert.equal(polars.dtypes['date'], String(pl.Date))
      for (const c of columns) {
        if ((c.type as string) === 'TIMESTAMPTZ') assert.match(polars.dtypes[c.name]!, /UTC/, `${c.name}: ${polars.dtypes[c.name]}`)
      }
    })
  }

  it('a dataset without rows (no losses) scans as zero rows in all three', async () => {
    assert.equal((await readDuck(quiet, 'losses', LOSSES_COLUMNS)).length, 0)
    assert.equal(readPolars(quiet, 'losses', LOSSES_COLUMNS).rows.length, 0)
    assert.equal((await readHyparquet(quiet, 'losses', LOSSES_COLUMNS)).length, 0)
  })
})
