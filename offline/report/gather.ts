// The report's data, gathered with DuckDB aggregate queries over the archive's `records`
// and `losses` views (offline/archive-db.ts): a scan of the time column finds the range
// (and so the buckets), one scan of the records computes every series at once (GROUPING
// SETS into a small temporary table), and one more reads only the busiest seconds (row
// groups skipped by their ts statistics); nothing of the archive is held in memory
// beyond the aggregates.
import type { DuckDBConnection } from '@duckdb/node-api'
import { LEVEL_NAMES } from '../../formats/wire.ts'
import { LOSS_REASONS } from '../../formats/archive-schema.ts'
import { chooseBuckets, widthLabel, type Buckets } from './buckets.ts'
import { BUSIEST_N, MAX_SERIES, TOP_N, type BusySecond, type ReportData, type SeriesSet, type TopItem } from './data.ts'
import { lit } from '../../collector/archive/sql.ts'

type Row = Record<string, unknown>

async function rows (conn: DuckDBConnection, sql: string): Promise<Row[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJS() as Row[]
}

const num = (v: unknown): number => Number(v ?? 0)

export class EmptyArchiveError extends Error {
  override name = 'EmptyArchiveError'
}

/** UTC ns as RFC 3339 with 9 fractional digits. */
export function isoNs (ns: bigint): string {
  const ms = ns / 1_000_000n - (ns % 1_000_000n < 0n ? 1n : 0n)
  const frac = ((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n
  return `${new Date(Number(ms)).toISOString().slice(0, 19)}.${frac.toString().padStart(9, '0')}Z`
}

export interface GatherInput {
  dirs: readonly string[]
  since?: bigint
  until?: bigint
  hosts?: readonly string[]
}

/** The time range of what the views hold: records' ts and losses' ts_from, UTC ns. */
async function timeRange (conn: DuckDBConnection): Promise<{ first: bigint, last: bigint } | null> {
  // one scan per view (least/greatest skip a NULL: an empty view)
  const [r] = await rows(conn, `WITH r AS (SELECT min(ts_ns) AS a, max(ts_ns) AS z FROM records),
      l AS (SELECT min(ts_from_ns) AS a, max(ts_from_ns) AS z FROM losses)
    SELECT least(r.a, l.a) AS first, greatest(r.z, l.z) AS last FROM r, l`)
  if (r?.first === null || r?.first === undefined) return null
  return { first: BigInt(r.first as bigint), last: BigInt(r.last as bigint) }
}

/** Sums series beyond MAX_SERIES - 1 (the smallest totals) into `other`; keeps `order` otherwise. */
export function seriesSet (cells: Map<string, Map<number, number>>, count: number, order: readonly string[]): SeriesSet {
  let names = [...order]
  const total = (name: string): number => [...cells.get(name)!.values()].reduce((a, b) => a + b, 0)
  let rest: string[] = []
  if (names.length > MAX_SERIES) {
    const kept = new Set([...names].sort((a, b) => total(b) - total(a)).slice(0, MAX_SERIES - 1))
    rest = names.filter(n => !kept.has(n))
    names = names.filter(n => kept.has(n))
  }
  const dense = (parts: string[]): number[] => {
    const v = new Array<number>(count).fill(0)
    for (const p of parts) for (const [b, n] of cells.get(p)!) v[b]! += n
    return v
  }
  const values = names.map(n => dense([n]))
  if (rest.length > 0) {
    names.push('other')
    values.push(dense(rest))
  }
  return { names, values }
}

/** SQL: the bucket index of UTC ns column `col` */
function bucketOf (bk: Buckets, col: string): string {
  return `(${col} // ${bk.widthNs} - ${bk.firstIndex})::INTEGER`
}

function addCell (cells: Map<string, Map<number, number>>, name: string, bucket: number, n: number): void {
  let m = cells.get(name)
  if (m === undefined) cells.set(name, m = new Map())
  m.set(bucket, (m.get(bucket) ?? 0) + n)
}

const rank = (order: readonly string[], s: string): number => {
  const i = order.indexOf(s)
  return i < 0 ? order.length : i
}

export async function gatherReport (conn: DuckDBConnection, input: GatherInput): Promise<ReportData> {
  const range = await timeRange(conn)
  if (range === null) throw new EmptyArchiveError('no records and no losses in the archive for these options')
  const bk: Buckets = chooseBuckets(range.first, range.last)
  await conn.run(`CREATE OR REPLACE TEMP TABLE report_agg AS
    SELECT CASE WHEN grouping(b, host, cpu) = 0 THEN 'cpu' WHEN grouping(b, level) = 0 THEN 'level'
                WHEN grouping(b, type) = 0 THEN 'type' WHEN grouping(host, pid, comm) = 0 THEN 'pid'
                WHEN grouping(comm) = 0 THEN 'comm' ELSE 'sec' END AS kind,
           b, host, cpu, level, type, comm, pid, sec, count(*)::BIGINT AS n
    FROM (SELECT ${bucketOf(bk, 'ts_ns')} AS b, host, cpu, level, type, comm, pid, ts_ns // 1000000000 AS sec FROM records)
    GROUP BY GROUPING SETS ((b, host, cpu), (b, level), (b, type), (comm), (host, pid, comm), (sec))`)
  try {
    return await fromAggregates(conn, input, range, bk)
  } finally {
    await conn.run('DROP TABLE IF EXISTS report_agg')
  }
}

async function fromAggregates (conn: DuckDBConnection, input: GatherInput, range: { first: bigint, last: bigint }, bk: Buckets): Promise<ReportData> {
  const hostRows = await rows(conn, 'SELECT DISTINCT host FROM records UNION SELECT DISTINCT host FROM losses ORDER BY 1')
  const hosts = hostRows.map(r => String(r.host))
  const manyHosts = hosts.length > 1
  const cpuName = (host: unknown, cpu: unknown): string => manyHosts ? `${String(host)} cpu ${String(cpu)}` : `cpu ${String(cpu)}`

  const cpuCells = new Map<string, Map<number, number>>()
  const cpuKeys: { name: string, host: string, cpu: number }[] = []
  for (const r of await rows(conn, "SELECT host, cpu, b, n FROM report_agg WHERE kind = 'cpu'")) {
    const name = cpuName(r.host, r.cpu)
    if (!cpuCells.has(name)) cpuKeys.push({ name, host: String(r.host), cpu: num(r.cpu) })
    addCell(cpuCells, name, num(r.b), num(r.n))
  }
  cpuKeys.sort((a, b) => a.host.localeCompare(b.host) || a.cpu - b.cpu)

  const cellsOf = async (kind: string, col: string): Promise<Map<string, Map<number, number>>> => {
    const cells = new Map<string, Map<number, number>>()
    for (const r of await rows(conn, `SELECT ${col} AS name, b, n FROM report_agg WHERE kind = ${lit(kind)}`)) addCell(cells, String(r.name), num(r.b), num(r.n))
    return cells
  }
  const levelCells = await cellsOf('level', 'level')
  const levelOrder = [...levelCells.keys()].sort((a, b) => rank(LEVEL_NAMES, a) - rank(LEVEL_NAMES, b) || a.localeCompare(b))
  const typeCells = await cellsOf('type', 'type')
  const typeTotal = (t: string): number => [...typeCells.get(t)!.values()].reduce((a, b) => a + b, 0)
  const typeOrder = [...typeCells.keys()].sort((a, b) => typeTotal(b) - typeTotal(a) || a.localeCompare(b))

  const lossCells = new Map<string, Map<number, number>>()
  const lossRows: Record<string, number> = {}
  for (const r of await rows(conn, `SELECT reason, ${bucketOf(bk, 'ts_from_ns')} AS b, sum(count)::BIGINT AS n, count(*)::BIGINT AS k FROM losses GROUP BY ALL`)) {
    const reason = String(r.reason)
    addCell(lossCells, reason, num(r.b), num(r.n))
    lossRows[reason] = (lossRows[reason] ?? 0) + num(r.k)
  }
  const lossOrder = [...lossCells.keys()].sort((a, b) => rank(LOSS_REASONS, a) - rank(LOSS_REASONS, b) || a.localeCompare(b))

  const top = async (sql: string, label: (r: Row) => string): Promise<TopItem[]> =>
    (await rows(conn, sql)).map(r => ({ label: label(r), count: num(r.n) }))
  const topComms = await top(`SELECT comm, n FROM report_agg WHERE kind = 'comm' ORDER BY n DESC, comm LIMIT ${TOP_N}`, r => String(r.comm))
  // a pid is labelled with the comm it wrote most records under (exec changes it); per
  // (pid, comm) rather than arg_max(comm, ts), which cost every grouping set a third more
  const topPids = await top(`SELECT host, pid, sum(n) AS n, first(comm ORDER BY n DESC, comm) AS comm FROM report_agg WHERE kind = 'pid'
    GROUP BY host, pid ORDER BY n DESC, host, pid LIMIT ${TOP_N}`,
  r => `${manyHosts ? `${String(r.host)} ` : ''}${String(r.pid)} (${String(r.comm)})`)
  const [counts] = await rows(conn, `SELECT count(*) FILTER (kind = 'comm') AS comms, count(DISTINCT (host, pid)) FILTER (kind = 'pid') AS pids,
    count(DISTINCT type) AS types, count(DISTINCT (host, cpu)) FILTER (kind = 'cpu') AS cpus,
    coalesce(sum(n) FILTER (kind = 'sec'), 0) AS records FROM report_agg`)
  const lostRecords = [...lossCells.values()].reduce((s, m) => s + [...m.values()].reduce((a, b) => a + b, 0), 0)

  const ms = (ns: bigint): number => Number(ns / 1_000_000n)
  return {
    dirs: [...input.dirs],
    filter: {
      since: input.since === undefined ? null : isoNs(input.since),
      until: input.until === undefined ? null : isoNs(input.until),
      hosts: input.hosts === undefined ? null : [...input.hosts],
    },
    hosts,
    firstNs: range.first.toString(),
    lastNs: range.last.toString(),
    bucket: { startMs: ms(bk.firstIndex * bk.widthNs), widthMs: ms(bk.widthNs), count: bk.count, label: widthLabel(bk.widthNs) },
    totals: {
      records: num(counts?.records),
      lostRecords,
      lossRows: Object.values(lossRows).reduce((a, b) => a + b, 0),
      cpus: num(counts?.cpus),
      comms: num(counts?.comms),
      pids: num(counts?.pids),
      types: num(counts?.types),
    },
    cpus: seriesSet(cpuCells, bk.count, cpuKeys.map(k => k.name)),
    losses: seriesSet(lossCells, bk.count, lossOrder),
    lossRows,
    levels: seriesSet(levelCells, bk.count, levelOrder),
    types: seriesSet(typeCells, bk.count, typeOrder),
    topComms,
    topPids,
    busiest: await busiestSeconds(conn, cpuName),
  }
}

/** The BUSIEST_N seconds with most records; for each, its CPU and comm with most records, and its losses. */
async function busiestSeconds (conn: DuckDBConnection, cpuName: (host: unknown, cpu: unknown) => string): Promise<BusySecond[]> {
  const secs = await rows(conn, `SELECT sec, n FROM report_agg WHERE kind = 'sec' ORDER BY n DESC, sec LIMIT ${BUSIEST_N}`)
  if (secs.length === 0) return []
  const list = secs.map(r => String(r.sec)).join(', ')
  // ranges of the stored `ts` (UTC, floored to the microsecond: exact for whole seconds),
  // so that the Parquet reader skips row groups by their statistics (4x faster on 2 GiB)
  const at = (sec: bigint): string => `'${new Date(Number(sec) * 1000).toISOString()}'::TIMESTAMPTZ`
  const within = secs.map(r => `(ts >= ${at(BigInt(r.sec as bigint))} AND ts < ${at(BigInt(r.sec as bigint) + 1n)})`).join(' OR ')
  const detail = await rows(conn, `SELECT sec, host, cpu, comm, n FROM (
      SELECT sec, host, cpu, comm, count(*) AS n, grouping(comm) AS by_cpu FROM (SELECT ts_ns // 1000000000 AS sec, host, cpu, comm FROM records WHERE ${within})
      GROUP BY GROUPING SETS ((sec, host, cpu), (sec, comm)))
    QUALIFY row_number() OVER (PARTITION BY sec, by_cpu ORDER BY n DESC, host, cpu, comm) = 1`)
  const lost = await rows(conn, `SELECT ts_from_ns // 1000000000 AS sec, sum(count)::BIGINT AS n FROM losses WHERE ts_from_ns // 1000000000 IN (${list}) GROUP BY 1`)
  return secs.map(s => {
    const sec = String(s.sec)
    const cpu = detail.find(d => String(d.sec) === sec && d.comm === null)
    const comm = detail.find(d => String(d.sec) === sec && d.comm !== null)
    return {
      startMs: Number(sec) * 1000,
      records: num(s.n),
      lost: num(lost.find(l => String(l.sec) === sec)?.n),
      topCpu: cpu === undefined ? '' : cpuName(cpu.host, cpu.cpu),
      topCpuRecords: num(cpu?.n),
      topComm: comm === undefined ? '' : String(comm.comm),
      topCommRecords: num(comm?.n),
    }
  })
}
