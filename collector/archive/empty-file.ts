// Both datasets exist once a collector has run (ARCHIVE.md, "Layout"): a reader's scan
// of `losses/**/*.parquet` must give zero rows, not fail (Polars and DuckDB fail a glob
// that matches no file). When a writer opens and its host has no file of its dataset
// yet, it publishes one zero-row file with the dataset's columns in the partition of the
// hour it started, atomically like every file (a `.partial` created first, DuckDB's COPY,
// fsync, rename: durable.ts). A restart finds a file (this one, or data) and writes none.
// If it cannot be written (a full disk at start), the publisher tries again before the
// next publish, where a failure is reported like any file's.

import { closeSync, promises as fsp } from 'node:fs'
import { join } from 'node:path'
import type { DuckDBConnection } from '@duckdb/node-api'
import { ensureDurableDir, publishFile, removeQuietly } from '../durable.ts'
import { chmodFileSync, createFileSync } from '../file-mode.ts'
import { fileBaseName, finalName, partialName, partitionDir, PARQUET_SUFFIX } from './paths.ts'
import { copyOptions, emptySelect, lit, type CopyOptions } from './sql.ts'
import { stampNs } from './time.ts'
import type { DatasetSpec } from './types.ts'

/** True when some `*.parquet` file (not a dot file) lies anywhere below `dir`; stops at the first. */
export async function hasParquetFile (dir: string): Promise<boolean> {
  let d
  try {
    d = await fsp.opendir(dir)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw e
  }
  const subdirs: string[] = []
  for await (const e of d) {
    if (e.name.startsWith('.')) continue
    if (e.isFile() && e.name.endsWith(PARQUET_SUFFIX)) return true
    if (e.isDirectory()) subdirs.push(join(dir, e.name))
  }
  for (const s of subdirs.sort()) if (await hasParquetFile(s)) return true
  return false
}

/**
 * Publishes a zero-row file of `spec`'s dataset for `host` at time `nowMs` unless the
 * host has a file of that dataset already. Returns its path, or null when none was needed.
 * On failure nothing is left behind and the error is thrown with `archivePath`, the file
 * it meant to write (publisher.ts reports it as an ArchiveWriteError).
 */
export async function ensureDatasetFile (
  conn: DuckDBConnection, spec: DatasetSpec, opts: CopyOptions & { readonly out: string; readonly host: string },
  nowMs: number, knownDirs: Set<string>
): Promise<string | null> {
  const ms = Math.max(0, Math.floor(nowMs))
  const dir = partitionDir(opts.out, spec.dataset, opts.host, Math.floor(ms / 3_600_000))
  const base = fileBaseName(stampNs(BigInt(ms) * 1_000_000n))
  const tmp = join(dir, partialName(base))
  const final = join(dir, finalName(base))
  try {
    if (await hasParquetFile(join(opts.out, spec.dataset, `host=${opts.host}`))) return null
    await ensureDurableDir(dir, knownDirs, opts.out)
    closeSync(createFileSync(tmp))
    await conn.run(`COPY (${emptySelect(spec.archiveColumns)}) TO ${lit(tmp)} (${copyOptions(spec.dataset, opts)})`)
    chmodFileSync(tmp)
    await publishFile(tmp, final)
  } catch (e) {
    await removeQuietly(tmp)
    throw Object.assign(new Error('empty file failed'), { archivePath: final, archiveCause: e })
  }
  return final
}
