// What an archive holds (krelay inspect), aggregated by DuckDB over the views of
// offline/archive-db.ts: no row is loaded into JavaScript. The records are scanned once,
// grouped by host, CPU, level, type and second at once (GROUPING SETS) into a small
// temporary table that the other questions read; the files are described from the listing.
import type { DuckDBConnection } from '@duckdb/node-api'
import type { ArchiveDb } from './archive-db.ts'
import { LEVEL_NAMES } from '../formats/wire.ts'

export interface HostSummary {
  host: string
  recordFiles: number
  lossFiles: number
  bytes: number
  records: number
  /** UTC ns of the host's first and last record, as decimal strings (null: no record) */
  first: string | null
  last: string | null
}

export interface DatasetFiles {
  dataset: 'records' | 'losses'
  files: number
  bytes: number
  /** files per format version (`krelay.archive`) */
  versions: Record<string, number>
}

export interface LossSummary { reason: string, rows: number, count: number }

export interface Inspection {
  hosts: HostSummary[]
  files: DatasetFiles[]
  records: number
  /** UTC ns (decimal strings) of the first and last record; null when there is none */
  first: string | null
  last: string | null
  perCpu: { cpu: number, records: number }[]
  /** by severity, emerg first */
  perLevel: { level: string, records: number }[]
  /** most records first */
  perType: { type: string, records: number }[]
  losses: LossSummary[]
  /** records / the seconds from the first to the last record (all records if they share one instant) */
  averagePerSecond: number
  /** the UTC second (ns of its start, decimal) that holds the most records, the earliest of equals */
  busiestSecond: { start: string, records: number } | null
}

/** A tick from DuckDB's progress (0..100) while the records are scanned. */
export type OnProgress = (percent: number) => void

const num = (v: unknown): number => Number(v ?? 0)
const text = (v: unknown): string | null => v === null || v === undefined ? null : String(v)

async function rows (conn: DuckDBConnection, sql: string): Promise<unknown[][]> {
  return (await conn.runAndReadAll(sql)).getRowsJS()
}

/** Runs `sql`, calling onProgress with DuckDB's progress every 100 ms meanwhile. */
async function withProgress (conn: DuckDBConnection, sql: string, onProgress?: OnProgress): Promise<void> {
  if (onProgress === undefined) {
    await conn.run(sql)
    return
  }
  await conn.run('SET enable_progress_bar = true')
  await conn.run('SET enable_progress_bar_print = false')
  const timer = setInterval(() => {
    const p = conn.progress.percentage
    if (p >= 0) onProgress(Math.min(100, p))
  }, 100)
  try {
    await conn.run(sql)
  } finally {
    clearInterval(timer)
    onProgress(100)
  }
}

export async function inspectArchive (db: ArchiveDb, onProgress?: OnProgress): Promise<Inspection> {
  const { conn } = db
  // g: which grouping a row belongs to; one scan of the records
  await withProgress(conn, `CREATE OR REPLACE TEMP TABLE krelay_inspect AS
    SELECT GROUPING(host, cpu, level, "type", sec) AS g, host, cpu, level, "type", sec,
           count(*) AS n, min(ts_ns) AS first, max(ts_ns) AS last
    FROM (SELECT host, cpu, level, "type", epoch_us(ts) // 1000000 AS sec, ts_ns FROM records)
    GROUP BY GROUPING SETS ((host), (cpu), (level), ("type"), (sec))`, onProgress)
  try {
    const grouped = async (col: string): Promise<unknown[][]> =>
      await rows(conn, `SELECT ${col}, n, first, last FROM krelay_inspect WHERE g = ${groupingId(col)}`)
    const perHost = new Map((await grouped('host')).map(r => [String(r[0]), r]))
    const perCpu = (await grouped('cpu')).map(r => ({ cpu: num(r[0]), records: num(r[1]) })).sort((a, b) => a.cpu - b.cpu)
    const levelRank = (l: string): number => { const i = LEVEL_NAMES.indexOf(l as typeof LEVEL_NAMES[number]); return i < 0 ? LEVEL_NAMES.length + Number(l) : i }
    const perLevel = (await grouped('level')).map(r => ({ level: String(r[0]), records: num(r[1]) })).sort((a, b) => levelRank(a.level) - levelRank(b.level))
    const perType = (await grouped('"type"')).map(r => ({ type: String(r[0]), records: num(r[1]) })).sort((a, b) => b.records - a.records || (a.type < b.type ? -1 : 1))
    const [total] = await rows(conn, `SELECT sum(n), min(first)::VARCHAR, max(last)::VARCHAR FROM krelay_inspect WHERE g = ${groupingId('sec')}`)
    const [busiest] = await rows(conn, `SELECT (sec * 1000000000)::VARCHAR, n FROM krelay_inspect WHERE g = ${groupingId('sec')} ORDER BY n DESC, sec LIMIT 1`)
    const losses = (await rows(conn, 'SELECT reason, count(*), sum("count") FROM losses GROUP BY reason ORDER BY reason'))
      .map(r => ({ reason: String(r[0]), rows: num(r[1]), count: num(r[2]) }))
    const records = num(total?.[0])
    const first = text(total?.[1])
    const last = text(total?.[2])
    const spanS = first === null || last === null ? 0 : Number(BigInt(last) - BigInt(first)) / 1e9
    const hostNames = [...new Set([...db.files.map(f => f.host), ...perHost.keys()])].sort()
    return {
      hosts: hostNames.map(host => {
        const files = db.files.filter(f => f.host === host)
        const r = perHost.get(host)
        return {
          host,
          recordFiles: files.filter(f => f.dataset === 'records').length,
          lossFiles: files.filter(f => f.dataset === 'losses').length,
          bytes: files.reduce((s, f) => s + f.bytes, 0),
          records: num(r?.[1]),
          first: r === undefined ? null : String(r[2]),
          last: r === undefined ? null : String(r[3]),
        }
      }),
      files: (['records', 'losses'] as const).map(dataset => {
        const files = db.files.filter(f => f.dataset === dataset)
        const versions: Record<string, number> = {}
        for (const f of files) versions[String(f.version)] = (versions[String(f.version)] ?? 0) + 1
        return { dataset, files: files.length, bytes: files.reduce((s, f) => s + f.bytes, 0), versions }
      }),
      records,
      first,
      last,
      perCpu,
      perLevel,
      perType,
      losses,
      averagePerSecond: records === 0 ? 0 : spanS > 0 ? records / spanS : records,
      busiestSecond: busiest === undefined ? null : { start: String(busiest[0]), records: num(busiest[1]) },
    }
  } finally {
    await conn.run('DROP TABLE IF EXISTS krelay_inspect')
  }
}

/** GROUPING(host, cpu, level, type, sec) of the set that groups by `col` alone: 1 bits for the others. */
function groupingId (col: string): number {
  const order = ['host', 'cpu', 'level', '"type"', 'sec']
  return order.reduce((g, c, i) => c === col ? g : g | (1 << (order.length - 1 - i)), 0)
}
