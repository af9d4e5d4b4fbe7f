// The Parquet archive's columns: the one definition that the archive writer
// (collector/archive/) and the analysts' page (formats/ARCHIVE.md) both follow.
// test/formats/archive-schema.test.ts checks that ARCHIVE.md shows these
// tables verbatim and that the writer's files have exactly these columns and types.

import { CTX_NAMES, LEVEL_NAMES } from './wire.ts'

/** DuckDB type names used by the archive (format version 2). */
export type ArchiveType =
  | 'TIMESTAMPTZ'
  | 'BIGINT'
  | 'INTEGER'
  | 'VARCHAR'
  | 'BLOB'

/** How each DuckDB type is stored in the file (Parquet physical type and annotation). */
export const PARQUET_TYPES: Readonly<Record<ArchiveType, string>> = {
  TIMESTAMPTZ: 'INT64 TIMESTAMP(MICROS, isAdjustedToUTC=true)',
  BIGINT: 'INT64',
  INTEGER: 'INT32',
  VARCHAR: 'BYTE_ARRAY STRING',
  BLOB: 'BYTE_ARRAY',
}

/** The name DuckDB's `DESCRIBE` shows for an archive type (it spells TIMESTAMPTZ out). */
export function describedType (t: ArchiveType): string {
  return t === 'TIMESTAMPTZ' ? 'TIMESTAMP WITH TIME ZONE' : t
}

export interface ArchiveColumn {
  readonly name: string;
  /** DuckDB type of the column (`describedType` is how `DESCRIBE` shows it). */
  readonly type: ArchiveType;
  /**
   * True when the column can hold NULL. Every column is OPTIONAL in the Parquet schema
   * (DuckDB cannot write REQUIRED ones); a column with `nullable` false has null_count 0.
   */
  readonly nullable: boolean;
  readonly meaning: string;
}

/** Record types that have a name; every other type is written `0x` + 4 lowercase hex digits. */
export const TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [0x0000, 'text'],
  [0xff01, 'gen'],
  [0xff10, 'sched_exec'],
  [0xff11, 'sched_fork'],
])

/** Why records were lost (`losses.reason`). */
export const LOSS_REASONS = ['dropped', 'corrupt', 'reload', 'collector'] as const
export type LossReason = (typeof LOSS_REASONS)[number]

export const LOSS_REASON_MEANINGS: Readonly<Record<LossReason, string>> = {
  dropped: 'the kernel buffer was full: the records consumed sequence numbers but were never written (PROTOCOL.md §3.3)',
  corrupt: 'a sub-buffer or record header failed validation, the rest of that sub-buffer is counted here (PROTOCOL.md §3.3); or the spool (capture) was damaged: the records between the last one kept before the damage and the next one after it (CAPTURE.md, "Damage")',
  reload: 'the module was unloaded (and maybe loaded again): one row per CPU of the ended channel, `first_seq` the first sequence number it never delivered, `ts_from` its last record, `ts_to` when the collector noticed. `count` is 0: records the kernel dropped after its last delivered sub-buffer cannot be known once it is gone (its `stats` `dropped` counter, read before the unload, tells)',
  collector: 'anything else: the collector itself could not store them. So far: it was lapped (PROTOCOL.md §8), i.e. sub-buffers it had not read were freed by another and reused; `first_seq` is the last record seq it saw + 1, `ts_from` .. `ts_to` the records on either side',
}

/** The name the archive gives a record type (the `type` column). */
export function typeName (type: number): string {
  const name = TYPE_NAMES.get(type)
  return name ?? '0x' + type.toString(16).padStart(4, '0')
}

/** The name the archive gives a level; values outside 0..7 are written as their decimal number. */
export function levelName (level: number): string {
  return LEVEL_NAMES[level] ?? String(level)
}

/** The name the archive gives a context; values outside 0..2 are written as their decimal number. */
export function ctxName (ctx: number): string {
  return CTX_NAMES[ctx] ?? String(ctx)
}

export const RECORDS_COLUMNS = [
  {
    name: 'ts',
    type: 'TIMESTAMPTZ',
    nullable: false,
    meaning: 'UTC wall-clock time the record was written, floored to the microsecond: the kernel\'s `CLOCK_MONOTONIC` time plus the channel\'s `mono_to_realtime_ns` (PROTOCOL.md §2). Files are sorted by (`ts`, `ts_nanos`, `cpu`, `seq`)',
  },
  {
    name: 'ts_nanos',
    type: 'INTEGER',
    nullable: false,
    meaning: 'nanoseconds past `ts`\'s microsecond, 0..999: the exact UTC time in ns since the epoch is `epoch_us(ts) * 1000 + ts_nanos`',
  },
  {
    name: 'mono_offset_ns',
    type: 'BIGINT',
    nullable: false,
    meaning: 'the exact UTC ns minus the record\'s `ts` as the kernel wrote it (`CLOCK_MONOTONIC` ns since boot): the channel\'s `mono_to_realtime_ns` the collector applied, constant for long runs. The kernel\'s time is `epoch_us(ts) * 1000 + ts_nanos - mono_offset_ns`',
  },
  { name: 'cpu', type: 'INTEGER', nullable: false, meaning: 'CPU whose buffer held the record' },
  {
    name: 'seq',
    type: 'BIGINT',
    nullable: false,
    meaning: 'record sequence number on that CPU, 1 for the first record after a module load; a gap is a loss (see `losses`)',
  },
  {
    name: 'level',
    type: 'VARCHAR',
    nullable: false,
    meaning: '`emerg`, `alert`, `crit`, `err`, `warning`, `notice`, `info` or `debug` (a wire value above 7, which ABI v1 never writes, as its decimal number)',
  },
  {
    name: 'type',
    type: 'VARCHAR',
    nullable: false,
    meaning: '`text` (0x0000), `gen` (0xff01), `sched_exec` (0xff10), `sched_fork` (0xff11), else `0x` and 4 lowercase hex digits, e.g. `0x0102`',
  },
  { name: 'ctx', type: 'VARCHAR', nullable: false, meaning: '`task`, `softirq` or `hardirq` (a wire value above 2 as its decimal number)' },
  {
    name: 'pid',
    type: 'INTEGER',
    nullable: false,
    meaning: 'pid of the task that wrote the record (in interrupt context: the interrupted task)',
  },
  { name: 'comm', type: 'VARCHAR', nullable: false, meaning: 'command name of that task, at most 16 bytes' },
  {
    name: 'msg',
    type: 'VARCHAR',
    nullable: true,
    meaning: 'the message of a text record (no trailing newline added); NULL for binary records',
  },
  {
    name: 'data',
    type: 'BLOB',
    nullable: true,
    meaning: 'the payload of a binary record, whose meaning is given by `type`; NULL for text records',
  },
  {
    name: 'channel_id',
    type: 'VARCHAR',
    nullable: false,
    meaning: '16 hex digits, new at every module load: (`channel_id`, `cpu`, `seq`) identifies a record forever',
  },
] as const satisfies readonly ArchiveColumn[]

export const LOSSES_COLUMNS = [
  { name: 'cpu', type: 'INTEGER', nullable: false, meaning: 'CPU whose records were lost' },
  { name: 'first_seq', type: 'BIGINT', nullable: false, meaning: 'sequence number of the first lost record' },
  {
    name: 'count',
    type: 'BIGINT',
    nullable: false,
    meaning: 'how many consecutive sequence numbers were lost: `first_seq` .. `first_seq + count - 1`',
  },
  {
    name: 'ts_from',
    type: 'TIMESTAMPTZ',
    nullable: false,
    meaning: 'UTC, floored to the microsecond; the lost records were written at or after this time (usually the time of the last record kept before the gap). Files are sorted by (`ts_from`, `ts_from_nanos`, `cpu`, `first_seq`)',
  },
  {
    name: 'ts_from_nanos',
    type: 'INTEGER',
    nullable: false,
    meaning: 'nanoseconds past `ts_from`\'s microsecond, 0..999 (exact ns: `epoch_us(ts_from) * 1000 + ts_from_nanos`)',
  },
  {
    name: 'ts_to',
    type: 'TIMESTAMPTZ',
    nullable: false,
    meaning: 'UTC, floored to the microsecond; the lost records were written at or before this time (usually the time of the first record kept after the gap)',
  },
  {
    name: 'ts_to_nanos',
    type: 'INTEGER',
    nullable: false,
    meaning: 'nanoseconds past `ts_to`\'s microsecond, 0..999 (exact ns: `epoch_us(ts_to) * 1000 + ts_to_nanos`)',
  },
  {
    name: 'reason',
    type: 'VARCHAR',
    nullable: false,
    meaning: '`dropped`, `corrupt`, `reload` or `collector`, see "What a loss row means"',
  },
  { name: 'channel_id', type: 'VARCHAR', nullable: false, meaning: 'channel (module load) the lost sequence numbers belong to' },
] as const satisfies readonly ArchiveColumn[]

/** The order of the rows in every `records` file (and of an hour's files after compaction). */
export const RECORDS_SORT_KEY = ['ts', 'ts_nanos', 'cpu', 'seq'] as const satisfies readonly RecordsColumnName[]
/** The order of the rows in every `losses` file. */
export const LOSSES_SORT_KEY = ['ts_from', 'ts_from_nanos', 'cpu', 'first_seq'] as const satisfies readonly LossesColumnName[]

/** Hive partition columns: not stored in the files, taken from the directory names. */
export const PARTITION_COLUMNS = [
  { name: 'host', type: 'VARCHAR', meaning: 'name of the machine the collector ran on' },
  { name: 'date', type: 'DATE', meaning: 'UTC date of every row\'s time (`ts`, or `ts_from` for losses) in the file, `YYYY-MM-DD`' },
  { name: 'hour', type: 'VARCHAR', meaning: 'UTC hour of that time, `00`..`23` (two digits; DuckDB reads it as text, compare with `hour = \'07\'`)' },
] as const

export type RecordsColumnName = (typeof RECORDS_COLUMNS)[number]['name']
export type LossesColumnName = (typeof LOSSES_COLUMNS)[number]['name']

/**
 * Archive format version, written into every file's key/value metadata as `krelay.archive`.
 * Version 1 (TIMESTAMP_NS `ts`, `mono_ns`, UBIGINT seqs) is still read by krelay's tools
 * (offline/archive-scan.ts); ARCHIVE.md says what changed.
 */
export const ARCHIVE_FORMAT_VERSION = '2'

/** The Markdown table ARCHIVE.md shows for a dataset (kept verbatim there; a test compares). */
export function columnsMarkdown (columns: readonly ArchiveColumn[]): string {
  const lines = ['| column | DuckDB type | Parquet type | NULL | meaning |', '|---|---|---|---|---|']
  for (const c of columns) {
    lines.push(`| \`${c.name}\` | \`${c.type}\` | \`${PARQUET_TYPES[c.type]}\` | ${c.nullable ? 'yes' : 'no'} | ${c.meaning} |`)
  }
  return lines.join('\n')
}

export function reasonsMarkdown (): string {
  const lines = ['| `reason` | meaning |', '|---|---|']
  for (const r of LOSS_REASONS) lines.push(`| \`${r}\` | ${LOSS_REASON_MEANINGS[r]} |`)
  return lines.join('\n')
}

export function partitionsMarkdown (): string {
  const lines = ['| column | DuckDB type | meaning |', '|---|---|---|']
  for (const c of PARTITION_COLUMNS) lines.push(`| \`${c.name}\` | \`${c.type}\` | ${c.meaning} |`)
  return lines.join('\n')
}
