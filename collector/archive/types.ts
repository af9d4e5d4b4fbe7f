import type { DuckDBInstance } from '@duckdb/node-api'
import type { ArchiveColumn, LossReason } from '../../formats/archive-schema.ts'

/**
 * One record, as the caller hands it to `RecordsWriter.append`. The caller owns the
 * object and may reuse it for the next record as soon as `append` returns: the writer
 * copies what it needs and keeps no reference.
 */
export interface RecordRow {
  /** `ts` (CLOCK_MONOTONIC ns, u64) high 32 bits; must be < 2^31 (the archive stores it as BIGINT) */
  tsHi: number;
  /** `ts` low 32 bits, 0..2^32-1 */
  tsLo: number;
  cpu: number;
  /** record sequence number, 0..2^53-1 */
  seq: number;
  /** 0..7 (PROTOCOL.md §3.2) */
  level: number;
  /** u16 record type */
  type: number;
  /** 1 text, 2 binary */
  kind: number;
  /** 0 task, 1 softirq, 2 hardirq */
  ctx: number;
  pid: number;
  comm: string;
  /** the text of a text record (`kind` 1; null is stored as ''); ignored for other kinds */
  msg: string | null;
  /**
   * the payload of a binary record (`kind` 2; null is stored as empty); ignored for text.
   * Copied during `append`, so it may be a view into a buffer that is reused or unmapped
   * afterwards. (A `kind` other than 1 and 2 stores whichever of data/msg is non-null.)
   */
  data: Uint8Array | null;
}

/** One run of lost sequence numbers, for `LossesWriter.append`. Reusable like RecordRow. */
export interface LossRow {
  cpu: number;
  /** first lost sequence number, 0..2^53-1 */
  firstSeq: number;
  /** number of lost sequence numbers, 0..2^53-1 */
  count: number;
  /** monotonic ns (u64 halves) at or after which the lost records were written */
  fromHi: number;
  fromLo: number;
  /** monotonic ns (u64 halves) at or before which they were written */
  toHi: number;
  toLo: number;
  reason: LossReason;
}

/** What a writer needs to know about the channel (module load) rows come from. */
export interface ChannelContext {
  /** `channel_id` from `info`: 16 lowercase hex digits */
  channelId: string;
  /**
   * `mono_to_realtime_ns` from `info`: added to a monotonic time to get UTC ns since the
   * epoch. A decimal string, a bigint, or the two halves of the 64-bit value.
   */
  monoToRealtimeNs: string | bigint | { readonly hi: number; readonly lo: number };
}

export interface WriterOptions {
  /** archive root; datasets go to `<out>/records/...` and `<out>/losses/...` */
  out: string;
  /** the `host=` partition value */
  host: string;
  /** seal a file once this many bytes of rows were appended to it (approximate: payload + comm + 48). Default 128 MiB */
  maxFileBytes?: number;
  /** publish a file once its first row is this many seconds old (checked by `due` and `publishDue`). Default 60 */
  maxAgeSeconds?: number;
  /** `append` throws StagingFullError beyond this many staged, unpublished bytes. Default 4 * maxFileBytes */
  maxStagedBytes?: number;
  /** Parquet row group size in rows (DuckDB rounds it to whole 2048-row vectors). Default 61440 (half DuckDB's: stager.ts) */
  rowGroupSize?: number;
  /** zstd level, 1..22. Default 3 */
  zstdLevel?: number;
  /** the DuckDB instance that copies stages into files (e.g. shared by both writers); default: a private in-memory one */
  instance?: DuckDBInstance;
  /** DuckDB `memory_limit` of the private instance (the COPY's working memory). Default '256MB' */
  memoryLimit?: string;
  /**
   * where staged rows wait in staging files (a private directory per writer, removed at
   * close; up to maxStagedBytes), and where the private instance may spill when it
   * reaches memoryLimit. Default `<os tmpdir>/krelay-duckdb`
   */
  tempDirectory?: string;
  /** clock for file age, ms; default Date.now */
  now?: () => number;
}

/** One file made durable and visible. */
export interface Published {
  dataset: 'records' | 'losses';
  /** absolute or `out`-relative path of the `.parquet` file, as `out` was given */
  path: string;
  rows: number;
  /** first and last time in the file (`ts`, or `ts_from` for losses), `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` */
  firstTs: string;
  lastTs: string;
  /**
   * per channel and CPU, the highest sequence number in the file: `seq` for records,
   * `first_seq + count - 1` for losses. Every row of that channel and CPU staged before
   * it is either in this file or in an earlier published one.
   */
  maxSeq: readonly { channelId: string; cpu: number; seq: number }[];
}

// ---- shared by the stager, the publisher and the dataset writers ----

export type NumKind = 'u8' | 'u16' | 'u32' | 'i32' | 'f64'
export type StagingKind = NumKind | 'varchar' | 'blob'

export interface StagingColumn {
  readonly name: string;
  readonly kind: StagingKind;
}

/** A stage's channels, for the SQL that turns staged rows into archive rows. */
export interface StageChannels {
  /** SQL expression: the BIGINT mono->UTC offset of a row */
  readonly offsetSql: string;
  /** SQL expression: the channel_id of a row */
  readonly channelIdSql: string;
}

export interface DatasetSpec {
  readonly dataset: 'records' | 'losses';
  /** staging columns besides `stage` and `ch`, which the stager adds */
  readonly columns: readonly StagingColumn[];
  /** the dataset's archive columns (formats/archive-schema.ts) */
  readonly archiveColumns: readonly ArchiveColumn[];
  /** SELECT ... FROM `from` (a stage's rows), producing the archive columns in schema order */
  select(from: string, ch: StageChannels): string;
  /** ORDER BY list for the file (the schema's sort key) */
  readonly orderBy: string;
  /** staging columns (u32 halves of monotonic ns) of the time that decides the partition */
  readonly timeHi: string;
  readonly timeLo: string;
  /** SQL over staging columns: the sequence number reported in Published.maxSeq */
  readonly rawMaxSeqSql: string;
}

/**
 * Called after DuckDB wrote the partial file and before it is renamed into place: the
 * collector records what the file will hold (crash-safe bookkeeping); tests inject faults.
 */
export interface StagerHooks {
  afterCopy?(partialPath: string, finalPath: string, published: Published): void | Promise<void>;
}

export interface Stage {
  readonly id: number;
  /** its staging file (stager.ts) */
  readonly path: string;
  rows: number;
  bytes: number;
  /** UTC hour (hours since the epoch) of every row */
  hour: number;
  /** q range of that hour: [qStart, qStart + Q_PER_HOUR) */
  qStart: number;
  firstRowAt: number;
  /**
   * every row was staged in the file's sort order (time, cpu, seq): the merge emits rows
   * so, and then the COPY keeps the staging order instead of sorting again
   */
  ordered: boolean;
  /** channel indexes the stage's rows can have */
  firstCh: number;
  lastCh: number;
}

export interface Channel {
  readonly id: string;
  readonly offsetNs: bigint;
}
