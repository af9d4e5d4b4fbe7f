// Archives for the offline tools' tests, made as krelay makes them: `collect` on the
// simulator, with drops (loss rows), text and binary records, crossing a full hour; its
// files copied with DuckDB file by file as format version 1 (ts TIMESTAMP_NS, mono_ns,
// unsigned seq) into one archive and as format version 2 (ts TIMESTAMPTZ + ts_nanos,
// mono_offset_ns, signed seq) into another, under another host, whichever version the
// collector writes.
import fs from 'node:fs'
import path from 'node:path'
import { collect } from '../../collector/collect/collect.ts'
import { lit } from '../../collector/archive/sql.ts'
import { RelaySim } from '../../collector/sim/relay-sim.ts'
import { LEVEL_ERR, LEVEL_WARNING } from '../../formats/wire.ts'
import { listArchiveFiles } from '../../offline/archive-files.ts'
import { collectOptions, collectorReading, driveGenerator, serveControl } from '../collector/collect/sim-driver.ts'

/**
 * `krelay collect` (in-process) on a 2-CPU simulator into `out` as host `host`: 1500
 * records per CPU written before the collector runs (most dropped: loss rows), then 2000
 * per CPU and then three text records while it runs. 1 ms per record from 06:59:59.38 UTC:
 * the rows cross into the next hour.
 */
export async function simArchive (out: string, host: string): Promise<void> {
  const sim = new RelaySim({ cpus: [0, 1], subbufSize: 4096, nSubbufs: 8, flushIntervalMs: 5, tsStep: 1_000_000 })
  await driveGenerator(sim, 1500)
  const stop = new AbortController()
  const opts = collectOptions(sim, stop.signal, { out, spoolDir: path.join(out, '.spool'), host })
  const stopServing = serveControl(sim)
  const running = collect(opts)
  try {
    await collectorReading(opts.spoolDir)
    await driveGenerator(sim, 2000, 16)
    // after the generator, whose run the collector has taken: room in the buffers
    for (const [i, level] of [LEVEL_ERR, LEVEL_WARNING, LEVEL_ERR].entries()) {
      if (sim.writeText(i % 2, `disk ${i} error, sector ${2048 * i}`, level) !== 'written') throw new Error('the simulator dropped a text record')
    }
    sim.flush()
  } finally {
    stop.abort()
    await running
    stopServing()
    sim.destroy()
  }
}

/** Each dataset's columns in the target version, from a file of the source version: [to][from]. */
const SELECT: Record<'records' | 'losses', Record<1 | 2, Record<1 | 2, string>>> = {
  records: {
    1: {
      1: 'ts, mono_ns, cpu, seq, level, "type", ctx, pid, comm, msg, data, channel_id',
      2: `make_timestamp_ns(epoch_us(ts) * 1000 + ts_nanos) AS ts, epoch_us(ts) * 1000 + ts_nanos - mono_offset_ns AS mono_ns, cpu,
        CAST(seq AS UBIGINT) AS seq, level, "type", ctx, pid, comm, msg, data, channel_id`,
    },
    2: {
      1: `make_timestamptz(epoch_us(ts)) AS ts, CAST(epoch_ns(ts) % 1000 AS INTEGER) AS ts_nanos,
        epoch_ns(ts) - mono_ns AS mono_offset_ns, cpu, CAST(seq AS BIGINT) AS seq, level, "type", ctx, pid, comm, msg, data, channel_id`,
      2: 'ts, ts_nanos, mono_offset_ns, cpu, seq, level, "type", ctx, pid, comm, msg, data, channel_id',
    },
  },
  losses: {
    1: {
      1: 'cpu, first_seq, "count", ts_from, ts_to, reason, channel_id',
      2: `cpu, CAST(first_seq AS UBIGINT) AS first_seq, CAST("count" AS UBIGINT) AS "count",
        make_timestamp_ns(epoch_us(ts_from) * 1000 + ts_from_nanos) AS ts_from, make_timestamp_ns(epoch_us(ts_to) * 1000 + ts_to_nanos) AS ts_to, reason, channel_id`,
    },
    2: {
      1: `cpu, CAST(first_seq AS BIGINT) AS first_seq, CAST("count" AS BIGINT) AS "count",
        make_timestamptz(epoch_us(ts_from)) AS ts_from, CAST(epoch_ns(ts_from) % 1000 AS INTEGER) AS ts_from_nanos,
        make_timestamptz(epoch_us(ts_to)) AS ts_to, CAST(epoch_ns(ts_to) % 1000 AS INTEGER) AS ts_to_nanos, reason, channel_id`,
      2: 'cpu, first_seq, "count", ts_from, ts_from_nanos, ts_to, ts_to_nanos, reason, channel_id',
    },
  },
}
const ORDER: Record<'records' | 'losses', Record<1 | 2, string>> = {
  records: { 1: 'ts, cpu, seq', 2: 'ts, ts_nanos, cpu, seq' },
  losses: { 1: 'ts_from, cpu, first_seq', 2: 'ts_from, ts_from_nanos, cpu, first_seq' },
}
const EMPTY_LOSSES_V2 = `SELECT CAST(NULL AS INTEGER) AS cpu, CAST(NULL AS BIGINT) AS first_seq, CAST(NULL AS BIGINT) AS "count",
  CAST(NULL AS TIMESTAMPTZ) AS ts_from, CAST(NULL AS INTEGER) AS ts_from_nanos, CAST(NULL AS TIMESTAMPTZ) AS ts_to,
  CAST(NULL AS INTEGER) AS ts_to_nanos, CAST(NULL AS VARCHAR) AS reason, CAST(NULL AS VARCHAR) AS channel_id WHERE false`

/**
 * Every file of the archive `from` (either format version) copied as a file of format
 * `version` into `to`, host `host`, same date, hour and name, sorted as that version
 * sorts. `emptyLosses` (version 2): instead of the loss files, one zero-row losses file
 * (what a v2 collector with no losses leaves).
 */
export async function copyAs (from: string, to: string, host: string, version: 1 | 2, emptyLosses = false): Promise<void> {
  const { DuckDBInstance } = await import('@duckdb/node-api')
  const db = await DuckDBInstance.create(':memory:', { threads: '1' })
  const conn = await db.connect()
  try {
    await conn.run("SET TimeZone = 'UTC'")
    for (const dataset of ['records', 'losses'] as const) {
      if (dataset === 'losses' && emptyLosses) {
        const f = (await listArchiveFiles(from, 'records'))[0]!
        const dir = path.join(to, 'losses', `host=${host}`, `date=${f.date}`, `hour=${f.hour}`)
        fs.mkdirSync(dir, { recursive: true })
        await conn.run(`COPY (${EMPTY_LOSSES_V2}) TO ${lit(path.join(dir, 'empty.parquet'))} ${options('losses', 2)}`)
        continue
      }
      for (const f of await listArchiveFiles(from, dataset)) {
        const source = await one(conn, `SELECT count(*) FROM parquet_schema(${lit(f.path)}) WHERE name IN ('ts_nanos', 'ts_from_nanos')`) > 0n ? 2 : 1
        const dir = path.join(to, dataset, `host=${host}`, `date=${f.date}`, `hour=${f.hour}`)
        fs.mkdirSync(dir, { recursive: true })
        await conn.run(`COPY (SELECT * FROM (SELECT ${SELECT[dataset][version][source]} FROM read_parquet(${lit(f.path)}, hive_partitioning = false))
          ORDER BY ${ORDER[dataset][version]}) TO ${lit(path.join(dir, path.basename(f.path)))} ${options(dataset, version)}`)
      }
    }
  } finally {
    conn.closeSync()
    db.closeSync()
  }
}

/** The fixture's two archives under `dir`: the collector's rows as format 1 (host `sim`) and as format 2 (host `0042`). */
export async function fixtureArchives (dir: string): Promise<{ v1: string, v2: string }> {
  const collected = path.join(dir, 'collected')
  await simArchive(collected, 'sim')
  const v1 = path.join(dir, 'v1')
  const v2 = path.join(dir, 'v2')
  await copyAs(collected, v1, 'sim', 1)
  await copyAs(collected, v2, '0042', 2)
  return { v1, v2 }
}

async function one (conn: import('@duckdb/node-api').DuckDBConnection, sql: string): Promise<bigint> {
  return (await conn.runAndReadAll(sql)).getRowsJS()[0]![0] as bigint
}

function options (dataset: string, version: 1 | 2): string {
  return `(FORMAT parquet, ${version === 2 ? 'PARQUET_VERSION V2, ' : ''}COMPRESSION zstd, KV_METADATA {'krelay.archive': '${version}', 'krelay.dataset': '${dataset}'})`
}
