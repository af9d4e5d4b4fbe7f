// The SQL of the `records` and `losses` views (offline/archive-db.ts): each archive format
// version's files read by their own read_parquet and mapped to one shape, version 2's
// (the mapping is offline/archive-scan.ts's mappedColumns)
// (formats/ARCHIVE.md; v1 kept ts as TIMESTAMP_NS and seq, first_seq, count as UBIGINT),
// with the time window applied to the stored columns, so that the Parquet reader skips
// row groups by their statistics.
import { lit } from '../collector/archive/sql.ts'
import type { Dataset } from './archive-files.ts'
import { mappedColumns } from './archive-scan.ts'

/** The views' columns and types, in order. */
export const VIEW_COLUMNS: Readonly<Record<Dataset, readonly (readonly [string, string])[]>> = {
  records: [
    ['host', 'VARCHAR'], ['date', 'DATE'], ['hour', 'VARCHAR'],
    ['ts', 'TIMESTAMPTZ'], ['ts_nanos', 'INTEGER'], ['ts_ns', 'BIGINT'], ['mono_ns', 'BIGINT'], ['mono_offset_ns', 'BIGINT'],
    ['cpu', 'INTEGER'], ['seq', 'BIGINT'], ['level', 'VARCHAR'], ['type', 'VARCHAR'], ['ctx', 'VARCHAR'],
    ['pid', 'INTEGER'], ['comm', 'VARCHAR'], ['msg', 'VARCHAR'], ['data', 'BLOB'], ['channel_id', 'VARCHAR'],
  ],
  losses: [
    ['host', 'VARCHAR'], ['date', 'DATE'], ['hour', 'VARCHAR'],
    ['cpu', 'INTEGER'], ['first_seq', 'BIGINT'], ['count', 'BIGINT'],
    ['ts_from', 'TIMESTAMPTZ'], ['ts_from_nanos', 'INTEGER'], ['ts_from_ns', 'BIGINT'],
    ['ts_to', 'TIMESTAMPTZ'], ['ts_to_nanos', 'INTEGER'], ['ts_to_ns', 'BIGINT'],
    ['reason', 'VARCHAR'], ['channel_id', 'VARCHAR'],
  ],
}

export type FormatVersion = 1 | 2

export interface Window { since?: bigint, until?: bigint }

/** read_parquet over `files` with the partition columns typed (a host named `42` stays text). */
export function readParquet (files: readonly string[]): string {
  return `read_parquet([${files.map(lit).join(', ')}], hive_partitioning = true, union_by_name = true, ` +
    'hive_types = {\'host\': \'VARCHAR\', \'date\': \'DATE\', \'hour\': \'VARCHAR\'})'
}

const floorDiv = (a: bigint, b: bigint): bigint => (a >= 0n ? a / b : -((-a + b - 1n) / b))
const ceilDiv = (a: bigint, b: bigint): bigint => -floorDiv(-a, b)

/** Stored time columns of each version, as SQL over the raw file columns. */
interface TimeCol {
  /** exact UTC ns (BIGINT) */
  ns: string
  /** the stored column compared with constants (row-group statistics apply) */
  stored: string
  /** a constant of the stored column's type at or below UTC ns `t` (floor) */
  floor(t: bigint): string
  /** a constant of the stored column's type, the smallest above every value < UTC ns `t` */
  ceil(t: bigint): string
}

function timeCol (version: FormatVersion, col: string): TimeCol {
  if (version === 1) {
    return { ns: `epoch_ns("${col}")`, stored: `"${col}"`, floor: t => `make_timestamp_ns(${t})`, ceil: t => `make_timestamp_ns(${t})` }
  }
  return {
    ns: `(epoch_us("${col}") * 1000 + "${col}_nanos")`,
    stored: `"${col}"`,
    floor: t => `make_timestamptz(${floorDiv(t, 1000n)})`,
    ceil: t => `make_timestamptz(${ceilDiv(t, 1000n)})`,
  }
}

function where (conds: string[]): string {
  return conds.length === 0 ? '' : `\nWHERE ${conds.join(' AND ')}`
}

/** [since, until) on one time column: the stored column's bounds (pushed into the scan), then exact. */
function bounds (t: TimeCol, w: Window): string[] {
  const c: string[] = []
  if (w.since !== undefined) c.push(`${t.stored} >= ${t.floor(w.since)}`, `${t.ns} >= ${w.since}`)
  if (w.until !== undefined) c.push(`${t.stored} < ${t.ceil(w.until)}`, `${t.ns} < ${w.until}`)
  return c
}

export function recordsSelect (version: FormatVersion, files: readonly string[], w: Window): string {
  const t = timeCol(version, 'ts')
  return `SELECT host, date, hour, ${mappedColumns('records', version)}
FROM ${readParquet(files)}${where(bounds(t, w))}`
}

/** Loss rows that overlap the window: ts_to >= since and ts_from < until. */
export function lossesSelect (version: FormatVersion, files: readonly string[], w: Window): string {
  const conds = [
    ...(w.since === undefined ? [] : bounds(timeCol(version, 'ts_to'), { since: w.since })),
    ...(w.until === undefined ? [] : bounds(timeCol(version, 'ts_from'), { until: w.until })),
  ]
  return `SELECT host, date, hour, ${mappedColumns('losses', version)}
FROM ${readParquet(files)}${where(conds)}`
}

/** A view body: the versions' selects, UNION ALL BY NAME, cast to the view's types; zero rows with the right columns when there is no file. */
export function viewSql (dataset: Dataset, byVersion: ReadonlyMap<FormatVersion, readonly string[]>, w: Window): string {
  const cols = VIEW_COLUMNS[dataset]
  const parts: string[] = []
  for (const [version, files] of [...byVersion].sort((a, b) => a[0] - b[0])) {
    if (files.length === 0) continue
    parts.push(dataset === 'records' ? recordsSelect(version, files, w) : lossesSelect(version, files, w))
  }
  if (parts.length === 0) return `SELECT ${cols.map(([n, t]) => `CAST(NULL AS ${t}) AS "${n}"`).join(', ')} WHERE false`
  const body = parts.map(p => `(${p})`).join('\nUNION ALL BY NAME\n')
  return `SELECT ${cols.map(([n, t]) => `CAST("${n}" AS ${t}) AS "${n}"`).join(', ')} FROM (\n${body}\n)`
}
