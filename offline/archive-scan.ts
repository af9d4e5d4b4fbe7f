// One SQL relation over archive files of either format version (ARCHIVE.md, "Version 1
// files"), for krelay's own readers (read-archive.ts, seq-cover.ts, `krelay tail`): every
// file's version is read from its key/value metadata (`krelay.archive`) and its rows are
// mapped to the version 2 columns plus the exact nanosecond times as BIGINT:
//   records: ts, ts_nanos, ts_ns, mono_ns, mono_offset_ns, cpu, seq, level, type, ctx, pid,
//            comm, msg, data, channel_id
//   losses:  cpu, first_seq, count, ts_from, ts_from_nanos, ts_from_ns, ts_to, ts_to_nanos,
//            ts_to_ns, reason, channel_id
// (`host`, `date`, `hour` first with `hive`; `filename`, `file_row_number` last with
// `fileInfo`). The names are those of the `records` and `losses` views of
// offline/archive-db.ts. No file of a dataset gives the same columns and no row.
import fs from 'node:fs'
import path from 'node:path'
import type { DuckDBConnection } from '@duckdb/node-api'
import { lit } from '../collector/archive/sql.ts'

import type { Dataset } from './archive-files.ts'
export type { Dataset }

export interface ScanOptions {
  /** the Hive partition columns host (VARCHAR), date, hour, first */
  readonly hive?: boolean
  /** `filename` and `file_row_number` last (a file's own order) */
  readonly fileInfo?: boolean
  /** only these of the dataset's columns (in the dataset's order); default all */
  readonly columns?: readonly string[]
}

/** *.parquet files under `dir` (names starting with a dot are not data), sorted. */
export function parquetFiles (dir: string): string[] {
  if (!fs.existsSync(dir)) return []
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter(e => e.isFile() && e.name.endsWith('.parquet') && !e.name.startsWith('.'))
    .map(e => path.join(e.parentPath, e.name))
    .sort()
}

/** The files of one dataset of the archive at `out`. */
export function datasetFiles (out: string, dataset: Dataset): string[] {
  return parquetFiles(path.join(out, dataset))
}

type Columns = readonly (readonly [name: string, type: string, v1: string, v2: string])[]

const exactNs = (ts: string, nanos: string): string => `(epoch_us(${ts}) * 1000 + ${nanos})`
const v1Ts = (ts: string): string => `make_timestamptz(epoch_ns(${ts}) // 1000)`
const v1Nanos = (ts: string): string => `CAST(epoch_ns(${ts}) % 1000 AS INTEGER)`
const same = (name: string, type: string): readonly [string, string, string, string] => [name, type, `"${name}"`, `"${name}"`]

const RECORDS: Columns = [
  ['ts', 'TIMESTAMPTZ', v1Ts('ts'), 'ts'],
  ['ts_nanos', 'INTEGER', v1Nanos('ts'), 'ts_nanos'],
  ['ts_ns', 'BIGINT', 'epoch_ns(ts)', exactNs('ts', 'ts_nanos')],
  ['mono_ns', 'BIGINT', 'mono_ns', `${exactNs('ts', 'ts_nanos')} - mono_offset_ns`],
  ['mono_offset_ns', 'BIGINT', 'epoch_ns(ts) - mono_ns', 'mono_offset_ns'],
  same('cpu', 'INTEGER'),
  ['seq', 'BIGINT', 'CAST(seq AS BIGINT)', 'seq'],
  same('level', 'VARCHAR'),
  same('type', 'VARCHAR'),
  same('ctx', 'VARCHAR'),
  same('pid', 'INTEGER'),
  same('comm', 'VARCHAR'),
  same('msg', 'VARCHAR'),
  same('data', 'BLOB'),
  same('channel_id', 'VARCHAR'),
]

const LOSSES: Columns = [
  same('cpu', 'INTEGER'),
  ['first_seq', 'BIGINT', 'CAST(first_seq AS BIGINT)', 'first_seq'],
  ['count', 'BIGINT', 'CAST("count" AS BIGINT)', '"count"'],
  ['ts_from', 'TIMESTAMPTZ', v1Ts('ts_from'), 'ts_from'],
  ['ts_from_nanos', 'INTEGER', v1Nanos('ts_from'), 'ts_from_nanos'],
  ['ts_from_ns', 'BIGINT', 'epoch_ns(ts_from)', exactNs('ts_from', 'ts_from_nanos')],
  ['ts_to', 'TIMESTAMPTZ', v1Ts('ts_to'), 'ts_to'],
  ['ts_to_nanos', 'INTEGER', v1Nanos('ts_to'), 'ts_to_nanos'],
  ['ts_to_ns', 'BIGINT', 'epoch_ns(ts_to)', exactNs('ts_to', 'ts_to_nanos')],
  same('reason', 'VARCHAR'),
  same('channel_id', 'VARCHAR'),
]

/**
 * The version 2 columns of `dataset` as a SELECT list over the raw columns of a file of
 * format `version`: the one mapping of version 1 files (also offline/archive-sql.ts's views).
 */
export function mappedColumns (dataset: Dataset, version: 1 | 2): string {
  return (dataset === 'records' ? RECORDS : LOSSES).map(([name, type, v1, v2]) => `CAST(${version === 1 ? v1 : v2} AS ${type}) AS "${name}"`).join(', ')
}

const HIVE: Columns = [same('host', 'VARCHAR'), same('date', 'DATE'), same('hour', 'VARCHAR')]
const FILE_INFO: Columns = [same('filename', 'VARCHAR'), same('file_row_number', 'BIGINT')]

/** The format version of each file, from its `krelay.archive` metadata; a file without one, or of an unknown version, is an error naming it. */
export async function fileVersions (conn: DuckDBConnection, files: readonly string[]): Promise<Map<string, '1' | '2'>> {
  const versions = new Map<string, '1' | '2'>()
  if (files.length === 0) return versions
  const r = await conn.runAndReadAll(`SELECT file_name, decode(value) FROM parquet_kv_metadata([${files.map(lit).join(', ')}])
    WHERE decode(key) = 'krelay.archive'`)
  for (const [file, v] of r.getRowsJS() as [string, string][]) {
    if (v !== '1' && v !== '2') throw new Error(`${file}: krelay archive format version ${JSON.stringify(v)}: this krelay reads versions 1 and 2`)
    versions.set(file, v)
  }
  for (const f of files) if (!versions.has(f)) throw new Error(`${f}: not a krelay archive file (no krelay.archive key/value metadata)`)
  return versions
}

/**
 * A parenthesized SELECT over `files` (all of `dataset`) with the version 2 columns and
 * the exact times (see the top of this file), for use as `FROM ${scan}`. One file's
 * rows come in file order.
 */
export async function archiveScan (conn: DuckDBConnection, files: readonly string[], dataset: Dataset, opts: ScanOptions = {}): Promise<string> {
  const all = dataset === 'records' ? RECORDS : LOSSES
  for (const c of opts.columns ?? []) if (!all.some(([name]) => name === c)) throw new Error(`archive scan: ${dataset} has no column ${c}`)
  const chosen = opts.columns === undefined ? all : all.filter(([name]) => opts.columns!.includes(name))
  const columns = [...(opts.hive === true ? HIVE : []), ...chosen, ...(opts.fileInfo === true ? FILE_INFO : [])]
  const versions = await fileVersions(conn, files)
  const parts: string[] = []
  for (const v of ['1', '2'] as const) {
    const these = files.filter(f => versions.get(f) === v)
    if (these.length === 0) continue
    const args = [
      `[${these.map(lit).join(', ')}]`,
      ...(opts.hive === true ? ["hive_partitioning = true, hive_types = {'host': 'VARCHAR'}"] : ['hive_partitioning = false']),
      ...(opts.fileInfo === true ? ['filename = true, file_row_number = true'] : []),
    ]
    const list = columns.map(([name, type, v1, v2]) => `CAST(${v === '1' ? v1 : v2} AS ${type}) AS "${name}"`).join(', ')
    parts.push(`SELECT ${list} FROM read_parquet(${args.join(', ')})`)
  }
  if (parts.length === 0) {
    parts.push(`SELECT ${columns.map(([name, type]) => `CAST(NULL AS ${type}) AS "${name}"`).join(', ')} WHERE false`)
  }
  return `(${parts.join(' UNION ALL ')})`
}
