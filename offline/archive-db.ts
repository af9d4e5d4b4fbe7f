// krelay's own read side of the archive: one DuckDB connection with two views, `records`
// and `losses`, over one or many archive directories (formats/ARCHIVE.md), files of format
// versions 1 and 2 alike in version 2's shape, plus the exact UTC ns and the kernel's
// mono_ns as BIGINT columns. krelay query, inspect and report run their SQL on it.
//
// The window and the hosts are applied twice: partitions outside them are never listed
// (offline/archive-files.ts), and the views compare the stored time columns with
// constants, so the Parquet reader skips row groups by their statistics.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api'
import { lit } from '../collector/archive/sql.ts'
import { DATASETS, fileInWindow, listArchiveFiles, type ArchiveFile, type Dataset } from './archive-files.ts'
import { viewSql, type FormatVersion } from './archive-sql.ts'

/** UTC ns since the epoch, [since, until); hosts: only these host= partitions. */
export interface ArchiveFilter { since?: bigint; until?: bigint; hosts?: readonly string[] }

/** A file the views read, with its format version (`krelay.archive`). */
export interface ReadFile extends ArchiveFile { readonly version: FormatVersion }

export interface ArchiveDb {
  conn: DuckDBConnection
  /** the files the views read (after the host and time pruning), by path */
  files: readonly ReadFile[]
  close(): void
}

export interface OpenOptions {
  /** a DuckDB instance of the caller's: the views are TEMP views of a new connection to it */
  instance?: DuckDBInstance
  /** which files of a directory's dataset to read (default listArchiveFiles, archive-files.ts) */
  listFiles?: (dir: string, dataset: Dataset) => Promise<ArchiveFile[]>
}

/** The bounds of krelay's own DuckDB: it streams, so it never needs more. */
export const DB_THREADS = 2
export const DB_MEMORY_LIMIT = '512MB'

export async function openArchive (dirs: readonly string[], filter: ArchiveFilter = {}, opts: { instance?: DuckDBInstance } & OpenOptions = {}): Promise<ArchiveDb> {
  const list = opts.listFiles ?? listArchiveFiles
  const files: ArchiveFile[] = []
  for (const dir of dirs) for (const ds of DATASETS) files.push(...(await list(dir, ds)).filter(f => fileInWindow(f, filter)))

  let spill: string | undefined
  let instance = opts.instance
  if (instance === undefined) {
    const { DuckDBInstance } = await import('@duckdb/node-api')
    spill = fs.mkdtempSync(path.join(os.tmpdir(), 'krelay-duckdb-'))
    instance = await DuckDBInstance.create(':memory:', {
      threads: String(DB_THREADS),
      memory_limit: DB_MEMORY_LIMIT,
      temp_directory: spill,
    })
  }
  const conn = await instance.connect()
  const own = instance
  const close = (): void => {
    conn.closeSync()
    if (opts.instance === undefined) own.closeSync()
    if (spill !== undefined) fs.rmSync(spill, { recursive: true, force: true })
  }
  try {
    await conn.run("SET TimeZone = 'UTC'")
    // the version probe reads every footer; the views' scans then find them cached
    if (opts.instance === undefined) await conn.run('SET GLOBAL parquet_metadata_cache = true')
    const versions = await formatVersions(conn, files.map(f => f.path))
    const read: ReadFile[] = files.map(f => ({ ...f, version: versions.get(f.path)! }))
    for (const ds of DATASETS) {
      const byVersion = new Map<FormatVersion, string[]>()
      for (const f of read) {
        if (f.dataset !== ds) continue
        let l = byVersion.get(f.version)
        if (l === undefined) byVersion.set(f.version, l = [])
        l.push(f.path)
      }
      await conn.run(`CREATE OR REPLACE TEMP VIEW ${ds} AS ${viewSql(ds, byVersion, filter)}`)
    }
    return { conn, files: read, close }
  } catch (e) {
    close()
    throw e
  }
}

/**
 * Each file's format version: its key/value metadata `krelay.archive`; a file without
 * it (none was ever written so) by its schema (`ts_nanos` or `ts_from_nanos`: 2).
 */
async function formatVersions (conn: DuckDBConnection, paths: readonly string[]): Promise<Map<string, FormatVersion>> {
  const out = new Map<string, FormatVersion>()
  if (paths.length === 0) return out
  const list = `[${paths.map(lit).join(', ')}]`
  const kv = await conn.runAndReadAll(`SELECT file_name, decode(value) FROM parquet_kv_metadata(${list}) WHERE decode(key) = 'krelay.archive'`)
  for (const [file, value] of kv.getRowsJS() as [string, string][]) {
    if (value !== '1' && value !== '2') throw new Error(`${file} is archive format version ${value} (krelay.archive); this krelay reads versions 1 and 2`)
    out.set(file, Number(value) as FormatVersion)
  }
  const unknown = paths.filter(p => !out.has(p))
  if (unknown.length > 0) {
    const v2 = await conn.runAndReadAll(`SELECT DISTINCT file_name FROM parquet_schema([${unknown.map(lit).join(', ')}]) WHERE name IN ('ts_nanos', 'ts_from_nanos')`)
    const two = new Set((v2.getRowsJS() as [string][]).map(r => r[0]))
    for (const p of unknown) out.set(p, two.has(p) ? 2 : 1)
  }
  return out
}
