// SQL that turns staged rows (raw wire values, times as u32 halves) into archive rows.
// Each dataset's SELECT list is keyed by the schema's column names, so the compiler
// refuses a column the schema has and the SQL lacks, and the order is the schema's.
// Also whether a connection keeps insertion order, which the archive's COPYs without
// ORDER BY (a stage staged in order, a compacted hour in order) rely on.

import {
  ARCHIVE_FORMAT_VERSION,
  LOSS_REASONS,
  LOSSES_COLUMNS,
  RECORDS_COLUMNS,
  TYPE_NAMES,
  type LossesColumnName,
  type RecordsColumnName,
} from '../../formats/archive-schema.ts'
import type { DuckDBConnection } from '@duckdb/node-api'
import { CTX_NAMES, LEVEL_NAMES } from '../../formats/wire.ts'
import type { DatasetSpec, StageChannels } from './types.ts'

/** A SQL string literal. */
export function lit (s: string): string {
  return `'${s.replaceAll("'", "''")}'`
}

/** CASE mapping small codes to names; unknown codes become their decimal text. */
function codeNames (col: string, names: readonly string[]): string {
  const whens = names.map((n, i) => `WHEN ${i} THEN ${lit(n)}`).join(' ')
  return `CASE ${col} ${whens} ELSE CAST(${col} AS VARCHAR) END`
}

/** Exact u64 from two u32 columns; hi < 2^31 is checked at append, so it fits BIGINT. */
export function mono (hi: string, lo: string): string {
  return `((CAST(${hi} AS BIGINT) << 32) | ${lo})`
}

/** UTC ns (BIGINT) of mono + the channel's offset; the sum's range is checked at append (time.ts). */
export function utcNs (hi: string, lo: string, offsetSql: string): string {
  return `(${mono(hi, lo)} + ${offsetSql})`
}

/**
 * The TIMESTAMPTZ of mono + offset, floored to the microsecond (`ts`). UTC times the
 * archive stores are >= 0 (checked at append, time.ts), so `//` (which truncates) floors.
 * make_timestamptz(micros) does not depend on the session's TimeZone.
 */
export function utc (hi: string, lo: string, offsetSql: string): string {
  return `make_timestamptz(${utcNs(hi, lo, offsetSql)} // 1000)`
}

/** The nanoseconds past utc()'s microsecond, 0..999 (`ts_nanos`), as INTEGER. */
export function utcNanos (hi: string, lo: string, offsetSql: string): string {
  return `CAST(${utcNs(hi, lo, offsetSql)} % 1000 AS INTEGER)`
}

function selectList<N extends string> (columns: readonly { readonly name: N }[], exprs: Record<N, string>): string {
  return columns.map((c) => `${exprs[c.name]} AS "${c.name}"`).join(',\n  ')
}

export const typeNameSql = (() => {
  const whens = [...TYPE_NAMES].map(([t, n]) => `WHEN ${t} THEN ${lit(n)}`).join(' ')
  return `CASE "type" ${whens} ELSE printf('0x%04x', "type") END`
})()

/** Staged record columns (besides `stage` and `ch`). `pk`: 1 payload is msg text, 2 payload is data bytes, 0 neither. */
export const RECORDS_STAGING = [
  { name: 'ts_hi', kind: 'u32' },
  { name: 'ts_lo', kind: 'u32' },
  { name: 'cpu', kind: 'i32' },
  { name: 'seq', kind: 'f64' },
  { name: 'level', kind: 'u8' },
  { name: 'type', kind: 'u16' },
  { name: 'ctx', kind: 'u8' },
  { name: 'pk', kind: 'u8' },
  { name: 'pid', kind: 'i32' },
  { name: 'comm', kind: 'varchar' },
  { name: 'payload', kind: 'blob' },
] as const

export function recordsSelect (from: string, ch: StageChannels): string {
  const exprs: Record<RecordsColumnName, string> = {
    ts: utc('ts_hi', 'ts_lo', ch.offsetSql),
    ts_nanos: utcNanos('ts_hi', 'ts_lo', ch.offsetSql),
    mono_offset_ns: ch.offsetSql,
    cpu: 'cpu',
    seq: 'CAST(seq AS BIGINT)',
    level: codeNames('"level"', LEVEL_NAMES),
    type: typeNameSql,
    ctx: codeNames('ctx', CTX_NAMES),
    pid: 'pid',
    comm: 'comm',
    // payload holds the UTF-8 the bindings encoded from a JS string: decode() cannot fail
    msg: 'CASE WHEN pk = 1 THEN decode(payload) END',
    data: 'CASE WHEN pk = 2 THEN payload END',
    channel_id: ch.channelIdSql,
  }
  return `SELECT\n  ${selectList(RECORDS_COLUMNS, exprs)}\nFROM ${from}`
}

export const LOSSES_STAGING = [
  { name: 'cpu', kind: 'i32' },
  { name: 'first_seq', kind: 'f64' },
  { name: 'count', kind: 'f64' },
  { name: 'from_hi', kind: 'u32' },
  { name: 'from_lo', kind: 'u32' },
  { name: 'to_hi', kind: 'u32' },
  { name: 'to_lo', kind: 'u32' },
  { name: 'reason', kind: 'u8' },
] as const

export function lossesSelect (from: string, ch: StageChannels): string {
  const exprs: Record<LossesColumnName, string> = {
    cpu: 'cpu',
    first_seq: 'CAST(first_seq AS BIGINT)',
    count: 'CAST("count" AS BIGINT)',
    ts_from: utc('from_hi', 'from_lo', ch.offsetSql),
    ts_from_nanos: utcNanos('from_hi', 'from_lo', ch.offsetSql),
    ts_to: utc('to_hi', 'to_lo', ch.offsetSql),
    ts_to_nanos: utcNanos('to_hi', 'to_lo', ch.offsetSql),
    reason: codeNames('reason', LOSS_REASONS),
    channel_id: ch.channelIdSql,
  }
  return `SELECT\n  ${selectList(LOSSES_COLUMNS, exprs)}\nFROM ${from}`
}

// ---- publishing a stage (publisher.ts) ----

/**
 * The channels of a stage's rows as SQL over the `ch` column: constants when the stage
 * has one channel, a CASE on `ch` otherwise.
 */
export function stageChannelsSql (used: readonly (readonly [number, { readonly id: string; readonly offsetNs: bigint }])[]): StageChannels {
  if (used.length === 1) {
    const c = used[0]![1]
    return { offsetSql: `CAST(${c.offsetNs} AS BIGINT)`, channelIdSql: lit(c.id) }
  }
  const off = used.map(([i, c]) => `WHEN ${i} THEN CAST(${c.offsetNs} AS BIGINT)`).join(' ')
  const id = used.map(([i, c]) => `WHEN ${i} THEN ${lit(c.id)}`).join(' ')
  return { offsetSql: `(CASE ch ${off} END)`, channelIdSql: `(CASE ch ${id} END)` }
}

/**
 * What the caller and the file name need, from the raw staged columns (a cheap scan: no
 * conversion of the whole stage just to learn a few numbers): per channel index and CPU,
 * the highest seq, the row count, and the smallest and largest UTC ns.
 */
export function stageMetaSql (from: string, spec: DatasetSpec, ch: StageChannels): string {
  const t = utcNs(spec.timeHi, spec.timeLo, ch.offsetSql)
  return `SELECT ch, cpu, max(${spec.rawMaxSeqSql})::DOUBLE, count(*)::DOUBLE, min(${t}), max(${t})
       FROM ${from} GROUP BY ch, cpu ORDER BY ch, cpu`
}

/** A stage's rows: its staging file (stager.ts). */
export function stageSource (path: string): string {
  return `read_parquet(${lit(path)})`
}

/** Settings of an archive file's Parquet encoding. */
export interface CopyOptions {
  /** zstd level, 1..22 (the collector writes 3; compaction 9) */
  readonly zstdLevel: number;
  /** rows per row group (DuckDB rounds to whole 2048-row vectors; the collector writes 61,440, compaction 122,880) */
  readonly rowGroupSize: number;
}

/**
 * The options of every COPY that writes an archive file (the collector's publish, the
 * empty dataset file, compaction): Parquet format version 2 encodings
 * (DELTA_BINARY_PACKED for the sorted integers, DELTA_LENGTH_BYTE_ARRAY,
 * RLE_DICTIONARY; ARCHIVE.md "Encoding and size"), zstd, the row group size, and the key/value
 * metadata that names the archive format version and the dataset (and `extraKv`, e.g.
 * compaction's own keys). USE_TMP_FILE false:
 * DuckDB writes into the file the caller created (durable.ts's publish renames it).
 */
export function copyOptions (dataset: 'records' | 'losses', opts: CopyOptions, extraKv: ReadonlyMap<string, string> = new Map()): string {
  if (!Number.isInteger(opts.zstdLevel) || opts.zstdLevel < 1 || opts.zstdLevel > 22) {
    throw new RangeError(`archive: zstd level ${opts.zstdLevel} is not 1..22`)
  }
  if (!Number.isInteger(opts.rowGroupSize) || opts.rowGroupSize < 1) {
    throw new RangeError(`archive: row group size ${opts.rowGroupSize} is not a positive integer`)
  }
  return 'FORMAT parquet, PARQUET_VERSION V2, USE_TMP_FILE false, COMPRESSION zstd, ' +
    `COMPRESSION_LEVEL ${opts.zstdLevel}, ROW_GROUP_SIZE ${opts.rowGroupSize}, ` +
    `KV_METADATA {'krelay.archive': '${ARCHIVE_FORMAT_VERSION}', 'krelay.dataset': '${dataset}'` +
    [...extraKv].map(([k, v]) => `, ${lit(k)}: ${lit(v)}`).join('') + '}'
}

/**
 * COPY of a stage's archive rows, sorted, to a Parquet file at `path`. Rows staged in
 * order already (`ordered`) are copied without an ORDER BY: DuckDB keeps a table's
 * insertion order through a scan and filter (preserve_insertion_order, checked when the
 * stager opens), and sorting them again would cost more than the rest of the COPY.
 * USE_TMP_FILE false: DuckDB writes into the `.partial` file the publisher created (mode
 * set, no link followed) instead of a `tmp_` file of its own beside it (the `.partial` is
 * already the temporary file: a crash leaves only names removePartialFiles knows).
 */
export function copySql (select: string, spec: DatasetSpec, path: string, opts: CopyOptions, ordered = false): string {
  const order = ordered ? '' : ` ORDER BY ${spec.orderBy}`
  return `COPY (${select}${order}) TO ${lit(path)} (${copyOptions(spec.dataset, opts)})`
}

/** A zero-row SELECT with the dataset's archive columns and types (the empty dataset file). */
export function emptySelect (columns: readonly { readonly name: string; readonly type: string }[]): string {
  return `SELECT ${columns.map((c) => `CAST(NULL AS ${c.type}) AS "${c.name}"`).join(', ')} WHERE false`
}

/**
 * Whether `conn`'s DuckDB keeps the order rows are read in through a scan, a filter and a
 * COPY (preserve_insertion_order, on by default): an instance a caller made may have
 * turned it off, and then every COPY must sort.
 */
export async function keepsInsertionOrder (conn: DuckDBConnection): Promise<boolean> {
  const r = await conn.runAndReadAll("SELECT current_setting('preserve_insertion_order')")
  return r.getRows()[0]?.[0] === true
}
