// Compaction: the files of one closed host-hour of a dataset become one file (or a few,
// at about maxFileBytes each), sorted, at stronger compression, atomically.
//
// Design
// - Unit: one hour directory (<out>/<dataset>/host=/date=/hour=). Its visible `*.parquet`
//   files are the inputs; they are rewritten when there are several, or when one is not
//   compacted yet. An output carries kv `krelay.compacted` = `1` besides the inputs'
//   metadata (`krelay.archive`, `krelay.dataset`, and any other key all inputs agree on),
//   so an hour whose files are all compacted is left alone; a late file (a crash replay
//   publishing a row of a past hour) makes the hour due again, and the next compaction
//   takes the compacted files and the late one.
// - Versions: the files' `krelay.archive` gives the sort order and exact time
//   (compact-sql.ts); the output keeps the inputs' version. An hour mixing versions (a
//   collector upgraded within the hour), or with a file of another dataset or of no
//   known version, is left as it is, with the reason in the result: converting v1 to v2
//   is a reader's mapping (offline/archive-db.ts), not a rewrite compaction should make.
// - Output: DuckDB COPY of all rows in the dataset's order (then channel_id, so the
//   order is total) at zstd 9 and row groups of 122,880 (5.80 B/record on the demo
//   against 6.64 written live). Every file is sorted (formats/ARCHIVE.md) and names sort
//   by first time, so an hour whose files do not overlap (what a collector writes, but
//   for a late file) is in order as listed: it is copied without ORDER BY (an hour of
//   620k records: +140 MiB of RSS sorted at DuckDB's 128MB, +62 not). The inputs' tally
//   counts rows out of that order; any, and the COPY sorts. Over maxFileBytes of input,
//   the rows are cut into ceil(input bytes / maxFileBytes) parts at exact times taken as
//   row quantiles: a time never spans two parts, parts do not overlap, and names (first
//   time of each) sort.
//   Zero-row inputs are inputs like any other; all-empty inputs give one zero-row file.
// - Exact: before the swap, the row count and a checksum (the sum of a 64-bit hash of
//   every whole row) of the outputs must equal those of the inputs, the outputs must be
//   in order (none out of order, read one after the other), and every output's
//   schema must equal the inputs'; otherwise the outputs are removed, the inputs stay,
//   and the hour is reported failed.
// - Swap, crash-safe (compact-journal.ts): under the hour's lock, a leftover journal is
//   finished or rolled back first. Outputs are written as `.compact-<base>.parquet.partial`,
//   fsynced; then the journal (inputs, outputs) is written durably; outputs renamed in,
//   directory fsynced; inputs unlinked, directory fsynced; journal removed. Killed:
//   before the journal, only hidden partials exist (removed at the next start); after
//   it, the next start renames whatever output is still partial and removes the inputs
//   (roll forward), or, if a partial is gone (the collector's start removes partials),
//   removes the outputs in place (roll back). Every row is visible exactly once after
//   recovery; during the swap a plain `*.parquet` glob can see inputs and outputs both
//   for a moment: visibleFiles() is what krelay's readers list instead.
// - Never on data the collector writes: callers pass closed hours only (hour end + a
//   grace) and may exclude files (the collector's ledger-pending file, collect/compactor.ts).
import { closeSync, promises as fsp } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import type { DuckDBConnection } from '@duckdb/node-api'
import { fsyncPath } from '../durable.ts'
import { chmodFileSync, createFileSync } from '../file-mode.ts'
import { compactCopySql, cutsSql, kvSql, schemaSql, shapeOf, tallySql, type Dataset, type Shape } from './compact-sql.ts'
import { JOURNAL_NAME, lockHour, outputPartialName, parquetNames, recoverHour, unlockHour, writeJournal, type Recovery } from './compact-journal.ts'
import { fileBaseName, finalName } from './paths.ts'
import { keepsInsertionOrder } from './sql.ts'
import { stampNs } from './time.ts'

export const COMPACTED_KEY = 'krelay.compacted'
export const DEFAULT_COMPACT_ZSTD_LEVEL = 9
export const DEFAULT_COMPACT_ROW_GROUP_SIZE = 122_880
export const DEFAULT_COMPACT_FILE_BYTES = 512 * 1024 * 1024
/** An hour is closed this long after its end: a collector publishes its last file within about a minute. */
export const DEFAULT_COMPACT_GRACE_MS = 5 * 60_000

/** The steps of a compaction, in order (a test hook runs after each). */
export type CompactStep = 'written' | 'checked' | 'journaled' | 'renamed' | 'unlinked' | 'done'

export interface CompactOptions {
  /** zstd level of the output. Default 9 */
  readonly zstdLevel?: number
  /** Parquet row group size of the output, in rows. Default 122,880 */
  readonly rowGroupSize?: number
  /** cut the output into parts beyond this many bytes of input. Default 512 MiB */
  readonly maxFileBytes?: number
  /** files (absolute paths) that are not inputs even though visible */
  readonly exclude?: (path: string) => boolean
  /** tests: called after each step; a throw there is a crash at that point (nothing is cleaned up) */
  readonly afterStep?: (step: CompactStep) => void | Promise<void>
}

export interface HourResult {
  readonly dir: string
  /**
   * compacted; skipped (nothing to do); refused (left as it is by design, `reason` says why);
   * failed (the output did not hold the inputs' rows: inputs kept); busy (another process holds it)
   */
  readonly action: 'compacted' | 'skipped' | 'refused' | 'failed' | 'busy'
  readonly reason?: string
  /** what was done with a leftover journal first */
  readonly recovered: Recovery
  readonly filesIn: number
  readonly filesOut: number
  readonly rows: number
  /** compacted: the rows were sorted (the hour's files overlap, or one is out of order); false when they were in order as listed */
  readonly sorted: boolean
  readonly bytesIn: number
  readonly bytesOut: number
}

interface Tally { rows: bigint, sum: string, outOfOrder: bigint }

/** Compacts one hour directory of a dataset (see the design above). */
export async function compactHour (conn: DuckDBConnection, dir: string, opts: CompactOptions = {}): Promise<HourResult> {
  const none: HourResult = { dir, action: 'skipped', recovered: 'none', filesIn: 0, filesOut: 0, rows: 0, sorted: false, bytesIn: 0, bytesOut: 0 }
  if (!lockHour(dir)) return { ...none, action: 'busy', reason: 'another process is compacting it' }
  try {
    const recovered = await recoverHour(dir)
    return await compactLocked(conn, dir, opts, { ...none, recovered })
  } finally {
    unlockHour(dir)
  }
}

async function compactLocked (conn: DuckDBConnection, dir: string, opts: CompactOptions, base: HourResult): Promise<HourResult> {
  const names = (await parquetNames(dir)).filter(n => !(opts.exclude?.(join(dir, n)) ?? false))
  const inputs = names.map(n => join(dir, n))
  if (inputs.length === 0) return { ...base, action: 'skipped', reason: 'no files' }
  const bytesIn = await sizeOf(inputs)
  const at = { ...base, filesIn: inputs.length, bytesIn }
  const dataset = datasetOf(dir)
  if (dataset === undefined) return { ...at, action: 'refused', reason: 'not an hour directory of records or losses' }

  const kv = await readKv(conn, inputs)
  const meta = agreedKv(kv, inputs)
  const version = meta.get('krelay.archive')
  if (version === undefined) {
    const versions = [...new Set(inputs.map(f => kv.get(f)?.get('krelay.archive') ?? 'none'))].sort()
    return { ...at, action: 'refused', reason: `its files are of archive versions ${versions.join(' and ')}: left as they are` }
  }
  const shape = shapeOf(dataset, version)
  if (shape === undefined) return { ...at, action: 'refused', reason: `archive version ${version} is not one compaction knows` }
  if (meta.get('krelay.dataset') !== dataset) return { ...at, action: 'refused', reason: `a file's krelay.dataset is not ${dataset}` }
  if (meta.get(COMPACTED_KEY) === '1') return { ...at, action: 'skipped', reason: 'compacted already' }
  const schema = await schemaOf(conn, inputs)
  if (schema === undefined) return { ...at, action: 'refused', reason: 'its files have different columns' }

  // inputs in name order are in time order (names are first times) and, unless they
  // overlap, or a file is not sorted, in the dataset's order: the tally counts rows out of it
  const before = await tally(conn, inputs, shape)
  const inOrder = before.outOfOrder === 0n && await keepsInsertionOrder(conn)
  meta.set(COMPACTED_KEY, '1')
  const outputs = await writeParts(conn, dir, inputs, shape, Number(before.rows), bytesIn, meta, opts, inOrder)
  await opts.afterStep?.('written')
  const partials = outputs.map(o => join(dir, outputPartialName(o)))
  const after = await tally(conn, partials, shape)
  const outSchema = await schemaOf(conn, [...partials, inputs[0]!])
  if (after.rows !== before.rows || after.sum !== before.sum || after.outOfOrder !== 0n || outSchema === undefined) {
    for (const p of partials) await fsp.rm(p, { force: true })
    const what = outSchema === undefined
      ? 'columns'
      : `${after.rows} rows (checksum ${after.sum}, ${after.outOfOrder} out of order)`
    return { ...at, action: 'failed', reason: `the output held ${what} against ${before.rows} rows (checksum ${before.sum}) in: inputs kept` }
  }
  for (const p of partials) await fsyncPath(p)
  await opts.afterStep?.('checked')

  writeJournal(dir, { version: 1, inputs: names, outputs })
  await opts.afterStep?.('journaled')
  for (const o of outputs) await fsp.rename(join(dir, outputPartialName(o)), join(dir, o))
  await fsyncPath(dir, true)
  await opts.afterStep?.('renamed')
  for (const i of inputs) await fsp.unlink(i)
  await fsyncPath(dir, true)
  await opts.afterStep?.('unlinked')
  await fsp.unlink(join(dir, JOURNAL_NAME))
  await fsyncPath(dir, true)
  await opts.afterStep?.('done')
  return { ...at, action: 'compacted', filesOut: outputs.length, rows: Number(before.rows), sorted: !inOrder, bytesOut: await sizeOf(outputs.map(o => join(dir, o))) }
}

/**
 * Writes the sorted rows as hidden partial files; returns the final names (in time order).
 * `inOrder`: the inputs, as listed, are sorted already (no sort: compact-sql.ts).
 */
async function writeParts (
  conn: DuckDBConnection, dir: string, inputs: readonly string[], shape: Shape, rows: number, bytesIn: number,
  kv: ReadonlyMap<string, string>, opts: CompactOptions, inOrder: boolean
): Promise<string[]> {
  const maxBytes = opts.maxFileBytes ?? DEFAULT_COMPACT_FILE_BYTES
  const parts = rows === 0 ? 1 : Math.max(1, Math.min(rows, Math.ceil(bytesIn / maxBytes)))
  const r = (await conn.runAndReadAll(cutsSql(inputs, shape, parts))).getRows()[0]!
  const first = (r[0] as bigint | null) ?? hourStartNs(dir)
  const cutList = (r[1] as { items: unknown[] } | null)?.items ?? []
  // equal times at a cut (many rows of one ns) give the same cut twice: one part then
  const cuts = [...new Set((cutList as bigint[]).filter(c => c > first))].sort((a, b) => (a < b ? -1 : 1))
  const starts = [first, ...cuts]
  const params = { zstdLevel: opts.zstdLevel ?? DEFAULT_COMPACT_ZSTD_LEVEL, rowGroupSize: opts.rowGroupSize ?? DEFAULT_COMPACT_ROW_GROUP_SIZE, kv }
  const outputs: string[] = []
  // an output named like an input (same first time, same 8 random digits) would be renamed over it
  const taken = new Set(await fsp.readdir(dir))
  for (let i = 0; i < starts.length; i++) {
    let name: string
    do name = finalName(fileBaseName(stampNs(starts[i]!)))
    while (taken.has(name) || taken.has(outputPartialName(name)))
    taken.add(name)
    const partial = join(dir, outputPartialName(name))
    closeSync(createFileSync(partial)) // mode set, never through a link (as publisher.ts)
    await conn.run(compactCopySql(inputs, shape, partial, i === 0 ? undefined : starts[i], starts[i + 1], params, inOrder))
    chmodFileSync(partial)
    outputs.push(name)
  }
  return outputs
}

/** `records` or `losses`, from <out>/<dataset>/host=/date=/hour=. */
function datasetOf (dir: string): Dataset | undefined {
  const d = basename(dirname(dirname(dirname(dir))))
  if (!/^hour=\d\d$/.test(basename(dir))) return undefined
  return d === 'records' || d === 'losses' ? d : undefined
}

/** UTC ns of the hour's start, from date=YYYY-MM-DD/hour=HH: the stamp of a zero-row output. */
function hourStartNs (dir: string): bigint {
  const date = basename(dirname(dir)).slice('date='.length)
  const hour = basename(dir).slice('hour='.length)
  const ms = Date.parse(`${date}T${hour}:00:00Z`)
  if (Number.isNaN(ms)) throw new Error(`${dir} is not a date=YYYY-MM-DD/hour=HH directory`)
  return BigInt(ms) * 1_000_000n
}

async function readKv (conn: DuckDBConnection, files: readonly string[]): Promise<Map<string, Map<string, string>>> {
  const kv = new Map<string, Map<string, string>>(files.map(f => [f, new Map()]))
  for (const [file, key, value] of (await conn.runAndReadAll(kvSql(files))).getRows()) {
    kv.get(file as string)?.set(key as string, value as string)
  }
  return kv
}

/** The keys whose value every file has, the same in all. */
function agreedKv (kv: ReadonlyMap<string, ReadonlyMap<string, string>>, files: readonly string[]): Map<string, string> {
  const agreed = new Map(kv.get(files[0]!) ?? [])
  for (const f of files.slice(1)) {
    const m = kv.get(f)
    for (const [k, v] of agreed) if (m?.get(k) !== v) agreed.delete(k)
  }
  return agreed
}

/** The schema all `files` share (one string), or undefined when they differ. */
async function schemaOf (conn: DuckDBConnection, files: readonly string[]): Promise<string | undefined> {
  const by = new Map<string, string[]>()
  for (const [file, desc] of (await conn.runAndReadAll(schemaSql(files))).getRows()) {
    const l = by.get(file as string) ?? []
    l.push(desc as string)
    by.set(file as string, l)
  }
  const all = new Set(files.map(f => (by.get(f) ?? []).join('\n')))
  return all.size === 1 ? [...all][0] : undefined
}

async function tally (conn: DuckDBConnection, files: readonly string[], shape: Shape): Promise<Tally> {
  const r = (await conn.runAndReadAll(tallySql(files, shape))).getRows()[0]!
  return { rows: r[0] as bigint, sum: r[1] as string, outOfOrder: r[2] as bigint }
}

async function sizeOf (files: readonly string[]): Promise<number> {
  let n = 0
  for (const f of files) n += (await fsp.stat(f)).size
  return n
}
