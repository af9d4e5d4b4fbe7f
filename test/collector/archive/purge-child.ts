// Run by allocator.test.ts in a process of its own (DuckDB's allocator options are read
// once, when libduckdb loads): the collector's archive and a compaction round beside it
// (whose instance closes after the round), then a publish of enough rows to free tens of
// MiB. Prints, as JSON, the RSS just after the publish and the lowest seen in the next
// `wait` ms.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { configureDuckdbAllocator } from '../../../collector/archive/allocator.ts'
import type { RecordRow } from '../../../collector/archive/types.ts'

configureDuckdbAllocator() // before anything loads libduckdb, as the collector does
const { openArchive } = await import('../../../collector/archive/index.ts')
const { createInstance } = await import('../../../collector/archive/stager.ts')
const { Compactor } = await import('../../../collector/collect/compactor.ts')
const { H0, writeHour } = await import('./compact-fixtures.ts')

const wait = Number(process.argv[2] ?? 10_000)
const ROWS = 1_500_000
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'krelay-purge-'))
const tempDirectory = path.join(out, '.tmp')
try {
  const archive = await openArchive({ out, host: 'h1', tempDirectory })
  archive.setChannel({ channelId: '9f3c2a71d04b5e86', monoToRealtimeNs: 1764032400123456789n })

  const fixtures = await createInstance({ tempDirectory })
  await writeHour(await fixtures.connect(), out, { version: '2', hourNs: H0, files: 2, rows: 2000, host: 'h1', blocks: true })
  fixtures.closeSync()
  const lines: string[] = []
  const compactor = await Compactor.start({ out, host: 'h1', tempDirectory, pendingFile: () => undefined, log: l => lines.push(l), graceMs: 0 })
  await compactor.idle()
  await compactor.stop()

  // (not helpers.ts: it registers with node:test, which would print to stdout)
  const row: RecordRow = { tsHi: 60_000, tsLo: 0, cpu: 0, seq: 0, level: 6, type: 0, kind: 1, ctx: 0, pid: 1, comm: 'test', msg: '', data: null }
  for (let i = 0; i < ROWS; i++) {
    row.tsLo = i * 1000
    row.cpu = i % 4
    row.seq = i + 1
    row.msg = i % 2 === 0 ? 'an even message' : 'an odd message, a little longer'
    archive.records.append(row)
  }
  const published = await archive.records.publishAll()
  globalThis.gc?.() // what is left to fall is DuckDB's
  const after = process.memoryUsage().rss
  let settled = after
  for (const t0 = Date.now(); Date.now() - t0 < wait;) {
    await new Promise(resolve => setTimeout(resolve, 100))
    settled = Math.min(settled, process.memoryUsage().rss)
  }
  await archive.close()
  const rows = published.reduce((n, p) => n + p.rows, 0)
  process.stdout.write(JSON.stringify({ compacted: lines.some(l => l.startsWith('compacted ')), rows, after, settled }))
} finally {
  fs.rmSync(out, { recursive: true, force: true })
}
