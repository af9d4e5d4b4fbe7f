// A CPU that comes online under a running collector (the simulator's addCpu: its file
// appears, then its stats row): its records are archived exactly once, in merge order
// across every file, and the collector says once that it mapped the new CPU.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { collect } from '../../../collector/collect/collect.ts'
import { RelaySim } from '../../../collector/sim/relay-sim.ts'
import { readArchive, recordsByCpu } from '../../../offline/read-archive.ts'
import { collectOptions, collectorReading, driveGenerator, serveControl } from './sim-driver.ts'

/** Rows of every file, files in name (first ts) order: rows below the row before them in (ts, cpu, seq). */
async function outOfMergeOrder (out: string): Promise<number> {
  const db = await DuckDBInstance.create(':memory:')
  const conn = await db.connect()
  try {
    const rows = (await conn.runAndReadAll(`
      SELECT count(*) FILTER (WHERE (ts, cpu, seq) < (pts, pcpu, pseq))::INT
      FROM (SELECT ts, cpu, seq, lag(ts) OVER w AS pts, lag(cpu) OVER w AS pcpu, lag(seq) OVER w AS pseq
            FROM read_parquet('${out}/records/**/*.parquet', hive_partitioning = true, filename = true, file_row_number = true)
            WINDOW w AS (ORDER BY parse_filename(filename), file_row_number))
      WHERE pts IS NOT NULL`)).getRows()
    return rows[0]![0] as number
  } finally {
    conn.closeSync()
    db.closeSync()
  }
}

test('a CPU that comes online under the collector: mapped once, its records archived exactly once, in merge order', async () => {
  const N = 3000
  const sim = new RelaySim({ cpus: [0, 1], subbufSize: 4096, nSubbufs: 8, flushIntervalMs: 5 })
  const lines: string[] = []
  const stop = new AbortController()
  const stopServing = serveControl(sim)
  const opts = collectOptions(sim, stop.signal, { log: line => { lines.push(line) } })
  const { out } = opts
  const running = collect(opts)
  await collectorReading(path.join(out, '.spool'))
  await driveGenerator(sim, N, 16)
  sim.addCpu(2)
  // run 2 writes on CPUs 0, 1 and 2 interleaved: cpu 2's records fall between the others'
  await driveGenerator(sim, N, 16)
  stop.abort()
  const summary = await running
  stopServing()

  assert.deepEqual(lines.filter(l => l.includes('came online')), [`cpu 2 came online: mapped ${sim.cpuPath(2)} from sub-buffer 1`])
  const archive = await readArchive(out)
  assert.deepEqual([...recordsByCpu(archive)].sort(), [[0, 2 * N], [1, 2 * N], [2, N]])
  assert.equal(archive.duplicates, 0)
  const cpu2 = archive.perCpu.find(p => p.cpu === 2)
  assert.deepEqual(cpu2 && [cpu2.minSeq, cpu2.maxSeq], [1, N])
  assert.equal(archive.losses.length, 0)
  assert.ok(archive.recordFiles > 1, 'several files, so that order across them is checked')
  assert.equal(await outOfMergeOrder(out), 0)
  assert.equal(summary.records, 5 * N)
  for (const cpu of [0, 1, 2]) assert.equal(sim.cpu(cpu).dropped, 0)
  sim.destroy()
  fs.rmSync(out, { recursive: true, force: true })
})
