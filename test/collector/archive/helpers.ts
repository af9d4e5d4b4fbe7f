// Shared by the archive tests: temporary directories, a reader, row builders.

import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after } from 'node:test'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import type { RecordsWriter } from '../../../collector/archive/records-writer.ts'
import type { RecordRow } from '../../../collector/archive/types.ts'

export function tempDir (prefix = 'krelay-archive-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

const outDirs: (() => void)[] = []
// at module level: a hook registered inside a test would run after that test only
after(() => outDirs.forEach((c) => c()))

/** A new archive directory, removed after the test file's last test. */
export function outDir (): string {
  const t = tempDir()
  outDirs.push(t.cleanup)
  return t.dir
}

/** Every file under dir (relative paths, sorted), hidden ones included. */
export function listFiles (dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
      .sort()
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw e
  }
}

export function parquetFiles (dir: string): string[] {
  return listFiles(dir).filter((f) => f.endsWith('.parquet'))
}

/** The zero-row files under dir (relative paths, sorted): a writer's empty dataset file (empty-file.ts). */
export async function zeroRowFiles (dir: string): Promise<string[]> {
  const files = parquetFiles(dir)
  if (files.length === 0) return []
  const rows = await query(`SELECT file_name FROM parquet_file_metadata([${files.map((f) => `'${join(dir, f)}'`).join(', ')}]) WHERE num_rows = 0`)
  return rows.map((r) => String(r[0]).slice(dir.length + 1)).sort()
}

/** The *.parquet files under dir but the zero-row ones (relative paths, sorted). */
export async function dataParquetFiles (dir: string): Promise<string[]> {
  const empty = new Set(await zeroRowFiles(dir))
  return parquetFiles(dir).filter((f) => !empty.has(f))
}

/** Every file under dir but the zero-row ones (relative paths, sorted). */
export async function listDataFiles (dir: string): Promise<string[]> {
  const empty = new Set(await zeroRowFiles(dir))
  return listFiles(dir).filter((f) => !empty.has(f))
}

let reader: Promise<DuckDBConnection> | undefined
/** A DuckDB connection of its own, as an analyst would have. */
export function readerConn (): Promise<DuckDBConnection> {
  reader ??= DuckDBInstance.create(':memory:').then((i) => i.connect())
  return reader
}

/** Rows as arrays of JSON-ish values (BIGINT etc. as strings). */
export async function query (sql: string): Promise<unknown[][]> {
  const c = await readerConn()
  const r = await c.runAndReadAll(sql)
  return r.getRowsJson() as unknown[][]
}

export async function queryObjects (sql: string): Promise<Record<string, unknown>[]> {
  const c = await readerConn()
  const r = await c.runAndReadAll(sql)
  return r.getRowObjectsJson() as Record<string, unknown>[]
}

/** SQL: a records row's exact UTC ns (ARCHIVE.md, "Times"). */
export const TS_NS = '(epoch_us(ts) * 1000 + ts_nanos)'
/** SQL: a records row's kernel CLOCK_MONOTONIC ns. */
export const MONO_NS = '(epoch_us(ts) * 1000 + ts_nanos - mono_offset_ns)'
/** SQL: a losses row's exact UTC ns of ts_from and ts_to. */
export const FROM_NS = '(epoch_us(ts_from) * 1000 + ts_from_nanos)'
export const TO_NS = '(epoch_us(ts_to) * 1000 + ts_to_nanos)'

export function records (out: string): string {
  return `read_parquet('${out}/records/**/*.parquet', hive_partitioning=true)`
}

export function losses (out: string): string {
  return `read_parquet('${out}/losses/**/*.parquet', hive_partitioning=true)`
}

export function blankRow (): RecordRow {
  return { tsHi: 0, tsLo: 0, cpu: 0, seq: 0, level: 6, type: 0, kind: 1, ctx: 0, pid: 1, comm: 'test', msg: '', data: null }
}

/** Sets a row's monotonic time from a bigint (tests only). */
export function setMono (row: { tsHi: number; tsLo: number }, mono: bigint): void {
  row.tsHi = Number(mono >> 32n)
  row.tsLo = Number(mono & 0xffffffffn)
}

export const CH_A = '9f3c2a71d04b5e86'
export const CH_B = '0123456789abcdef'
/** 2025-11-25T01:00:00.123456789Z minus some boot time: a realistic offset */
export const OFFSET = 1764032400123456789n
export const HOUR_NS = 3_600_000_000_000n

/** Three days of CLOCK_MONOTONIC: a realistic uptime. */
export const UPTIME = 3n * 86_400_000_000_000n

/** A text record numbered i (seq i + 1, cpu i % 4) at `mono`. */
export function fill (row: RecordRow, i: number, mono: bigint): RecordRow {
  setMono(row, mono)
  row.cpu = i % 4
  row.seq = i + 1
  row.level = i % 8
  row.type = 0xff01
  row.kind = 1
  row.comm = `comm${i % 3}`
  row.msg = `message number ${i}`
  row.data = null
  return row
}

/** Appends n binary records of `size` random bytes each, seqs from + 1 on. */
export function bulk (w: RecordsWriter, from: number, n: number, size: number): void {
  const row = blankRow()
  const data = new Uint8Array(size)
  for (let i = from; i < from + n; i++) {
    setMono(row, UPTIME + BigInt(i) * 1000n)
    row.seq = i + 1
    row.kind = 2
    row.msg = null
    // incompressible bytes, so the file really needs the space
    for (let k = 0; k < size; k++) data[k] = (Math.random() * 256) | 0
    row.data = data
    w.append(row)
  }
}
