// The collector's compactor: the closed hours of its host compacted at start and after a
// late file, never the open hour, never the ledger's pending file; on by default in
// collect() (krelay collect), off with compact: false (--no-compact).
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { before, test } from 'node:test'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { collect } from '../../../collector/collect/collect.ts'
import { Compactor } from '../../../collector/collect/compactor.ts'
import { RelaySim } from '../../../collector/sim/relay-sim.ts'
import { H0, HOUR_NS, writeHour } from '../archive/compact-fixtures.ts'
import { outDir } from '../archive/helpers.ts'
import { collectOptions, collectorReading, driveGenerator, serveControl } from './sim-driver.ts'

let conn: DuckDBConnection
before(async () => {
  conn = await (await DuckDBInstance.create(':memory:')).connect()
})

const parquet = (dir: string): string[] => fs.readdirSync(dir).filter(n => n.endsWith('.parquet') && !n.startsWith('.')).sort()
const MS = Number(H0 / 1_000_000n)

test('compacts the closed hours of its host at start and again after a late file; not the open hour, another host, nor the pending file', async () => {
  const out = outDir()
  const h10 = await writeHour(conn, out, { version: '2', hourNs: H0, files: 3, rows: 300, host: 'sim' })
  const h11 = await writeHour(conn, out, { version: '2', hourNs: H0 + HOUR_NS, files: 3, rows: 300, host: 'sim' })
  const other = await writeHour(conn, out, { version: '2', hourNs: H0, files: 2, rows: 10, host: 'other' })
  let pending: string | undefined = path.join(h10, parquet(h10)[0]!)
  const lines: string[] = []
  // now: 11:06, so 10h is closed (5 minutes' grace) and 11h is not
  let now = MS + 66 * 60_000
  const c = await Compactor.start({ out, host: 'sim', tempDirectory: path.join(out, '.tmp'), pendingFile: () => pending, log: l => lines.push(l), now: () => now })
  await c.idle()
  assert.equal(parquet(h10).length, 2, 'the pending file and the compacted others')
  assert.equal(parquet(h11).length, 3, 'the open hour is left')
  assert.equal(parquet(other).length, 2, 'another host is left')
  assert.match(lines.join('\n'), /^compacted records 2026-11-30 10h: 2 files -> 1, 200 rows \(sorted\), \d+ -> \d+ bytes in [\d.]+ s$/m)

  // the ledger settled; the hour's late file published: due again
  pending = undefined
  const late = await writeHour(conn, out, { version: '2', hourNs: H0, files: 1, rows: 50, host: 'sim', seqBase: 9000 })
  now = MS + 126 * 60_000 // 12:06: 11h is closed now too
  c.published([{ path: path.join(late, parquet(late).at(-1)!) }])
  await c.idle()
  assert.equal(parquet(h11).length, 1, '11h was still due from the start')
  assert.equal(parquet(h10).length, 3, 'a late file waits two minutes (readers following the archive read it first)')
  now += 2 * 60_000
  c.poke()
  await c.idle()
  assert.equal(parquet(h10).length, 1)
  const rows = await conn.runAndReadAll(`SELECT count(*), count(DISTINCT (cpu, seq)) FROM read_parquet('${h10}/*.parquet')`)
  assert.deepEqual(rows.getRowsJson(), [['350', '350']])
  await c.stop()
})

async function collectWith (compact: boolean | undefined): Promise<{ out: string, lines: string[], hour: string }> {
  const sim = new RelaySim({ cpus: [0, 1], subbufSize: 4096, nSubbufs: 8, flushIntervalMs: 5 })
  const stop = new AbortController()
  const lines: string[] = []
  const opts = collectOptions(sim, stop.signal, { log: l => lines.push(l), ...(compact === undefined ? {} : { compact }) })
  const hour = await writeHour(conn, opts.out, { version: '1', hourNs: H0, files: 3, rows: 300, host: 'sim' })
  const stopServing = serveControl(sim)
  const running = collect(opts)
  await collectorReading(opts.spoolDir)
  await driveGenerator(sim, 500, 16)
  // the compactor's first round started with the worker: let it finish before the stop
  if (compact !== false) {
    for (let i = 0; i < 400 && parquet(hour).length > 1; i++) await new Promise(resolve => setTimeout(resolve, 25))
  }
  stop.abort()
  await running
  stopServing()
  sim.destroy()
  return { out: opts.out, lines, hour }
}

test('collect() compacts closed hours by default, and not with compact: false', async () => {
  const on = await collectWith(undefined)
  assert.equal(parquet(on.hour).length, 1)
  assert.ok(on.lines.some(l => /^compacted records 2026-11-30 10h: 3 files -> 1, 300 rows/.test(l)), on.lines.join('\n'))
  const off = await collectWith(false)
  assert.equal(parquet(off.hour).length, 3)
  assert.ok(!off.lines.some(l => /compact/.test(l)), off.lines.join('\n'))
  for (const out of [on.out, off.out]) fs.rmSync(out, { recursive: true, force: true })
})
