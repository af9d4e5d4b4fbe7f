// Archives for the offline tools' tests, made as krelay makes them: `collect` on the
// simulator (today's writer, format version 1), with drops (loss rows), text and binary
// records, crossing a full hour; and the same rows as a format version 2 archive
// (ARCHIVE.md v2: ts TIMESTAMPTZ + ts_nanos, mono_offset_ns, signed seq), copied with
// DuckDB file by file into another host= partition.
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

const RECORDS_V2 = `make_timestamptz(epoch_us(ts)) AS ts, CAST(epoch_ns(ts) % 1000 AS INTEGER) AS ts_nanos,
  epoch_ns(ts) - mono_ns AS mono_offset_ns, cpu, CAST(seq AS BIGINT) AS seq, level, "type", ctx, pid, comm, msg, data, channel_id`
const LOSSES_V2 = `cpu, CAST(first_seq AS BIGINT) AS first_seq, CAST("count" AS BIGINT) AS "count",
  make_timestamptz(epoch_us(ts_from)) AS ts_from, CAST(epoch_ns(ts_from) % 1000 AS INTEGER) AS ts_from_nanos,
  make_timestamptz(epoch_us(ts_to)) AS ts_to, CAST(epoch_ns(ts_to) % 1000 AS INTEGER) AS ts_to_nanos, reason, channel_id`

/**
 * Every file of the v1 archive `from` copied as a v2 file into `to`, host `host`, same
 * date and hour; `emptyLosses`: instead of the loss files, one zero-row v2 losses file
 * (what a v2 collector with no losses leaves).
 */
export async function toV2 (from: string, to: string, host: string, emptyLosses = false): Promise<void> {
  const { DuckDBInstance } = await import('@duckdb/node-api')
  const db = await DuckDBInstance.create(':memory:', { threads: '1' })
  const conn = await db.connect()
  try {
    await conn.run("SET TimeZone = 'UTC'")
    for (const dataset of ['records', 'losses'] as const) {
      const files = await listArchiveFiles(from, dataset)
      if (dataset === 'losses' && emptyLosses) {
        const f = (await listArchiveFiles(from, 'records'))[0]!
        const dir = path.join(to, 'losses', `host=${host}`, `date=${f.date}`, `hour=${f.hour}`)
        fs.mkdirSync(dir, { recursive: true })
        await conn.run(`COPY (SELECT ${LOSSES_V2} FROM read_parquet(${lit(files[0]?.path ?? f.path)}, hive_partitioning = false) WHERE false) TO ${lit(path.join(dir, 'empty.parquet'))} ${options('losses')}`)
        continue
      }
      for (const f of files) {
        const dir = path.join(to, dataset, `host=${host}`, `date=${f.date}`, `hour=${f.hour}`)
        fs.mkdirSync(dir, { recursive: true })
        const [cols, order] = dataset === 'records' ? [RECORDS_V2, 'ts, ts_nanos, cpu, seq'] : [LOSSES_V2, 'ts_from, ts_from_nanos, cpu, first_seq']
        await conn.run(`COPY (SELECT * FROM (SELECT ${cols} FROM read_parquet(${lit(f.path)}, hive_partitioning = false)) ORDER BY ${order})
          TO ${lit(path.join(dir, path.basename(f.path)))} ${options(dataset)}`)
      }
    }
  } finally {
    conn.closeSync()
    db.closeSync()
  }
}

function options (dataset: string): string {
  return `(FORMAT parquet, PARQUET_VERSION V2, COMPRESSION zstd, KV_METADATA {'krelay.archive': '2', 'krelay.dataset': '${dataset}'})`
}
