// The archive read by three independent readers: DuckDB, Polars (nodejs-polars) and
// hyparquet (a Parquet reader in plain JavaScript). Every column of every row, the
// partition columns included, must come out exactly equal, and an empty dataset (the
// zero-row file of a run without losses) must scan as zero rows in each.
import assert from 'node:assert/strict'
import path from 'node:path'
import { after, describe, it } from 'node:test'
import pl from 'nodejs-polars'
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import { LOSSES_COLUMNS, RECORDS_COLUMNS } from '../../formats/archive-schema.ts'
import { openArchive } from '../../collector/archive/index.ts'
import { datasetFiles } from '../../offline/archive-scan.ts'
import { blankRow, CH_A, CH_B, HOUR_NS, OFFSET, query, setMono, tempDir, UPTIME } from '../collector/archive/helpers.ts'

const t = tempDir('krelay-readers-')
after(t.cleanup)

type Dataset = 'records' | 'losses'
/** One row as text, every reader's values spelled the same way: partition columns, then the dataset's columns in order. */
type Row = string[]

const hex = (b: Uint8Array | null | undefined): string => b === null || b === undefined ? 'NULL' : Buffer.from(b).toString('hex')
const text = (v: unknown): string => v === null || v === undefined ? 'NULL' : String(v)

/** An archive of two channels, text and binary records over two hours, with loss rows; or none. */
async function archive (host: string, withLosses: boolean): Promise<string> {
  const out = path.join(t.dir, host)
  const a = await openArchive({ out, host })
  const row = blankRow()
  for (const [ch, offset] of [[CH_A, OFFSET], [CH_B, OFFSET + 999_999_999n]] as const) {
    a.setChannel({ channelId: ch, monoToRealtimeNs: offset })
    for (let i = 0; i < 3000; i++) {
      setMono(row, UPTIME + BigInt(i) * (HOUR_NS / 2000n) + BigInt((i * 7919) % 1000))
      row.cpu = i % 3
      row.seq = 2 ** 40 + i
      row.level = i % 8
      row.ctx = i % 3
      row.pid = i % 11 === 0 ? -1 : 1000 + (i % 17)
      row.comm = i % 5 === 0 ? 'çømm ✓' : `comm${i % 4}`
      row.type = i % 2 === 0 ? 0xff01 : i % 3 === 0 ? 0x0102 : 0
      row.kind = i % 2 === 0 ? 2 : 1
      row.msg = row.kind === 1 ? (i % 9 === 0 ? '' : `message ${i} 漢字\n`) : null
      row.data = row.kind === 2 ? Uint8Array.from({ length: i % 23 }, (_, k) => (i * 31 + k) & 255) : null
      a.records.append(row)
    }
    if (withLosses) {
      for (let k = 0; k < 5; k++) {
        const from = UPTIME + BigInt(k) * HOUR_NS / 3n + 123n
        const to = from + 4_567n
        a.losses.append({
          cpu: k % 3,
          firstSeq: 2 ** 45 + k,
          count: k + 1,
          reason: (['dropped', 'corrupt', 'reload', 'collector', 'dropped'] as const)[k]!,
          fromHi: Number(from >> 32n),
          fromLo: Number(from & 0xffffffffn),
          toHi: Number(to >> 32n),
          toLo: Number(to & 0xffffffffn),
        })
      }
    }
  }
  await a.close()
  return out
}

const HIVE = ['host', 'date', 'hour']

async function duckdbRows (out: string, dataset: Dataset): Promise<Row[]> {
  const columns = dataset === 'records' ? RECORDS_COLUMNS : LOSSES_COLUMNS
  const exprs = columns.map((c) => c.type === 'TIMESTAMPTZ'
    ? `epoch_us("${c.name}")::VARCHAR`
    : c.type === 'BLOB' ? `coalesce(lower(hex("${c.name}")), 'NULL')` : `coalesce("${c.name}"::VARCHAR, 'NULL')`)
  const rows = await query(`SELECT host, date::VARCHAR, hour, ${exprs.join(', ')}
    FROM read_parquet('${out}/${dataset}/**/*.parquet', hive_partitioning = true)`)
  return rows.map((r) => r.map(text))
}

async function polarsRows (out: string, dataset: Dataset): Promise<Row[]> {
  const columns = dataset === 'records' ? RECORDS_COLUMNS : LOSSES_COLUMNS
  // in Polars: microseconds and 64-bit integers as text (a JS number is not exact past 2^53), bytes as a list
  const exprs = columns.map((c) => c.type === 'TIMESTAMPTZ'
    ? pl.col(c.name).cast(pl.Int64).cast(pl.Utf8)
    : c.type === 'BIGINT' ? pl.col(c.name).cast(pl.Utf8) : c.type === 'BLOB' ? pl.col(c.name).cast(pl.List(pl.UInt8)) : pl.col(c.name))
  const df = await pl.scanParquet(path.join(out, dataset, '**/*.parquet'), { hivePartitioning: true })
    .select(pl.col('host'), pl.col('date'), pl.col('hour'), ...exprs).collect()
  return df.rows().map((r) => r.map((v, i) => {
    const c = columns[i - HIVE.length]
    if (i === 1) return (v as Date).toISOString().slice(0, 10)
    if (i === 2) return String(v).padStart(2, '0')
    if (c?.type === 'BLOB') return v === null ? 'NULL' : hex(Uint8Array.from(v as number[]))
    return text(v)
  }))
}

async function hyparquetRows (out: string, dataset: Dataset): Promise<Row[]> {
  const columns = dataset === 'records' ? RECORDS_COLUMNS : LOSSES_COLUMNS
  const rows: Row[] = []
  for (const file of datasetFiles(out, dataset)) {
    const part = Object.fromEntries(path.relative(path.join(out, dataset), file).split(path.sep).slice(0, 3).map((p) => p.split('=') as [string, string]))
    const objects = await parquetReadObjects({
      file: await asyncBufferFromFile(file),
      compressors,
      utf8: false,
      parsers: { timestampFromMicroseconds: (us: bigint | number) => us },
    }) as Record<string, unknown>[]
    for (const o of objects) {
      rows.push([part.host!, part.date!, part.hour!, ...columns.map((c) => c.type === 'BLOB' ? hex(o[c.name] as Uint8Array | null) : text(o[c.name]))])
    }
  }
  return rows
}

const sorted = (rows: Row[]): Row[] => [...rows].sort((a, b) => a.join('\u0000') < b.join('\u0000') ? -1 : 1)

describe('three readers, every column exactly', () => {
  it('DuckDB, Polars and hyparquet read the same rows from records and losses, partition columns included', async () => {
    const out = await archive('web-01', true)
    for (const dataset of ['records', 'losses'] as const) {
      const duck = sorted(await duckdbRows(out, dataset))
      assert.equal(duck.length, dataset === 'records' ? 6000 : 10, dataset)
      assert.deepEqual(sorted(await polarsRows(out, dataset)), duck, `${dataset}: Polars`)
      assert.deepEqual(sorted(await hyparquetRows(out, dataset)), duck, `${dataset}: hyparquet`)
    }
    // Polars' types, as ARCHIVE.md's table says (its JS side cannot show a Binary column's type)
    const schema = (await pl.scanParquet(path.join(out, 'records', '**/*.parquet'), { hivePartitioning: true }).drop('data').limit(1).collect()).schema
    assert.deepEqual(Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, String(v)])), {
      ts: 'DataType(Datetime(us,UTC))',
      ts_nanos: 'DataType(Int32)',
      mono_offset_ns: 'DataType(Int64)',
      cpu: 'DataType(Int32)',
      seq: 'DataType(Int64)',
      level: 'DataType(String)',
      type: 'DataType(String)',
      ctx: 'DataType(String)',
      pid: 'DataType(Int32)',
      comm: 'DataType(String)',
      msg: 'DataType(String)',
      channel_id: 'DataType(String)',
      host: 'DataType(String)',
      date: 'DataType(Date)',
      hour: 'DataType(Int64)',
    })
    // the values are the archive's, not a reader's rounding: a known row, exact to the ns and past 2^53
    const seqs = new Set((await duckdbRows(out, 'records')).map((r) => r[3 + 4]))
    assert.ok(seqs.has(String(2 ** 40 + 2999)))
    assert.ok((await duckdbRows(out, 'losses')).some((r) => r[3 + 1] === String(2 ** 45 + 4)))
  })

  it('an empty losses dataset scans as zero rows in each reader', async () => {
    const out = await archive('web-02', false)
    assert.equal(datasetFiles(out, 'losses').length, 1, 'the zero-row file')
    assert.deepEqual(await duckdbRows(out, 'losses'), [])
    assert.deepEqual(await polarsRows(out, 'losses'), [])
    assert.deepEqual(await hyparquetRows(out, 'losses'), [])
    assert.equal((await duckdbRows(out, 'records')).length, 6000)
  })
})
