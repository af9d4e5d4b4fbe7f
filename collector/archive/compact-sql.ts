// The SQL of compaction (compact.ts): what a dataset's files are sorted by and how exact
// time is computed, for each archive format version, and the queries over a set of files.
// Every read is `hive_partitioning = false`: the files sit under host=/date=/hour=
// directories, and DuckDB would otherwise add those as columns to the rows it copies.
import { LOSSES_SORT_KEY, RECORDS_SORT_KEY } from '../../formats/archive-schema.ts'
import { lit } from './sql.ts'

export type Dataset = 'records' | 'losses'
export type Version = '1' | '2'

/** A dataset in one format version: its sort order and its exact UTC ns as SQL. */
export interface Shape {
  readonly dataset: Dataset
  readonly version: Version
  /** ORDER BY list of the file (formats/ARCHIVE.md), channel_id last so that the order is total */
  readonly orderBy: string
  /** BIGINT exact UTC nanoseconds of a row's time (ts, or ts_from for losses) */
  readonly exactNs: string
  /** COPY options that version's writer uses besides compression and row groups */
  readonly copyOptions: string
}

const SHAPES: Record<`${Dataset}/${Version}`, Shape> = {
  'records/1': { dataset: 'records', version: '1', orderBy: 'ts, cpu, seq, channel_id', exactNs: 'epoch_ns(ts)', copyOptions: '' },
  'records/2': {
    dataset: 'records',
    version: '2',
    orderBy: [...RECORDS_SORT_KEY, 'channel_id'].join(', '),
    exactNs: '(epoch_us(ts) * 1000 + ts_nanos)',
    copyOptions: ', PARQUET_VERSION V2',
  },
  'losses/1': { dataset: 'losses', version: '1', orderBy: 'ts_from, cpu, first_seq, channel_id', exactNs: 'epoch_ns(ts_from)', copyOptions: '' },
  'losses/2': {
    dataset: 'losses',
    version: '2',
    orderBy: [...LOSSES_SORT_KEY, 'channel_id'].join(', '),
    exactNs: '(epoch_us(ts_from) * 1000 + ts_from_nanos)',
    copyOptions: ', PARQUET_VERSION V2',
  },
}

/** The shape of `dataset` in `version`, or undefined for a version compaction does not know. */
export function shapeOf (dataset: Dataset, version: string): Shape | undefined {
  return (SHAPES as Record<string, Shape>)[`${dataset}/${version}`]
}

/** The rows of `files` (absolute paths). */
export function source (files: readonly string[]): string {
  return `read_parquet([${files.map(lit).join(', ')}], hive_partitioning = false, union_by_name = false)`
}

/** Key/value metadata of each file: file_name, key, value. */
export function kvSql (files: readonly string[]): string {
  return `SELECT file_name, decode(key), decode(value) FROM parquet_kv_metadata([${files.map(lit).join(', ')}])`
}

/** Each file's schema, one row per element in schema order: file_name and a description of it. */
export function schemaSql (files: readonly string[]): string {
  return `SELECT file_name, concat_ws(' ', name, type, repetition_type, converted_type, logical_type::VARCHAR)
    FROM parquet_schema([${files.map(lit).join(', ')}])`
}

/**
 * Row count and checksum of `files`: the sum of a hash of every whole row (all columns),
 * as HUGEINT so that it cannot overflow. Equal for the inputs and the outputs of a
 * compaction unless a row was lost, repeated or changed. Third, the rows out of order:
 * those that sort before the row read just before them (`files` in the order given), 0
 * when the files, one after the other, are in the dataset's order. DuckDB computes the
 * `lag() OVER ()` as a stream, in the order it reads (a few MiB, whatever the size): its
 * streaming window keeps a fixed order, so the scan runs in order even on several threads.
 */
export function tallySql (files: readonly string[], shape: Shape): string {
  const key = `row(${shape.orderBy})`
  return `SELECT count(*)::BIGINT, coalesce(sum(hash(t)::HUGEINT), 0)::VARCHAR, count(*) FILTER (k < p)::BIGINT
    FROM (SELECT t, ${key} AS k, lag(${key}) OVER () AS p FROM ${source(files)} t)`
}

/** The smallest exact time, and the times at which to cut the rows into `parts` files of equal row counts. */
export function cutsSql (files: readonly string[], shape: Shape, parts: number): string {
  const fractions = Array.from({ length: parts - 1 }, (_, i) => ((i + 1) / parts).toString())
  const cuts = parts > 1 ? `quantile_disc(${shape.exactNs}, [${fractions.join(', ')}])` : '[]::BIGINT[]'
  return `SELECT min(${shape.exactNs}), ${cuts} FROM ${source(files)}`
}

export interface CopyParams {
  readonly zstdLevel: number
  readonly rowGroupSize: number
  /** key/value metadata of the output */
  readonly kv: ReadonlyMap<string, string>
}

/**
 * COPY of the rows of `files` whose exact time is in [from, to) (either end open when
 * undefined), in the dataset's order, into `path`, which exists (compact.ts creates it
 * first). `inOrder`: the files, one after the other, are in that order already (each
 * file is sorted, formats/ARCHIVE.md, and their times do not overlap), and DuckDB keeps
 * the order it reads them in (preserve_insertion_order): no sort, whose memory grows with
 * DuckDB's memory_limit whatever the hour's size (collector/collect/compactor.ts).
 */
export function compactCopySql (
  files: readonly string[], shape: Shape, path: string, from: bigint | undefined, to: bigint | undefined, p: CopyParams,
  inOrder = false
): string {
  const where: string[] = []
  if (from !== undefined) where.push(`${shape.exactNs} >= ${from}`)
  if (to !== undefined) where.push(`${shape.exactNs} < ${to}`)
  const filter = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''
  const order = inOrder ? '' : ` ORDER BY ${shape.orderBy}`
  const kv = [...p.kv].map(([k, v]) => `${lit(k)}: ${lit(v)}`).join(', ')
  return `COPY (SELECT * FROM ${source(files)}${filter}${order}) TO ${lit(path)} ` +
    `(FORMAT parquet, USE_TMP_FILE false, COMPRESSION zstd, COMPRESSION_LEVEL ${p.zstdLevel}, ` +
    `ROW_GROUP_SIZE ${p.rowGroupSize}${shape.copyOptions}, KV_METADATA {${kv}})`
}
