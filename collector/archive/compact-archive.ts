// Compaction over an archive (compact.ts does one hour): which hour directories there
// are, which of them are closed, and compacting them one at a time. `krelay compact`
// and the collector's compactor (collect/compactor.ts) both use it.
import { promises as fsp } from 'node:fs'
import { join } from 'node:path'
import type { DuckDBConnection } from '@duckdb/node-api'
import { compactHour, type CompactOptions, type HourResult } from './compact.ts'
import { visibleFiles } from './compact-journal.ts'

export const DATASETS = ['records', 'losses'] as const
const HOUR_MS = 3_600_000

export interface HourDir {
  readonly dataset: (typeof DATASETS)[number]
  readonly host: string
  /** UTC hours since the epoch */
  readonly hour: number
  readonly dir: string
}

export interface HourFilter {
  readonly hosts?: readonly string[]
  /** UTC ns: hours that end after it */
  readonly since?: bigint
  /** UTC ns: hours that start before it */
  readonly until?: bigint
}

/** The hour directories of `out` (both datasets), oldest first, those the filter keeps. */
export async function listHourDirs (out: string, filter: HourFilter = {}): Promise<HourDir[]> {
  const found: HourDir[] = []
  for (const dataset of DATASETS) {
    for (const h of await subdirs(join(out, dataset), /^host=(.+)$/)) {
      if (filter.hosts !== undefined && !filter.hosts.includes(h.value)) continue
      for (const d of await subdirs(h.path, /^date=(\d{4}-\d\d-\d\d)$/)) {
        for (const hr of await subdirs(d.path, /^hour=(\d\d)$/)) {
          const ms = Date.parse(`${d.value}T${hr.value}:00:00Z`)
          if (Number.isNaN(ms)) continue
          const startNs = BigInt(ms) * 1_000_000n
          if (filter.until !== undefined && startNs >= filter.until) continue
          if (filter.since !== undefined && startNs + BigInt(HOUR_MS) * 1_000_000n <= filter.since) continue
          found.push({ dataset, host: h.value, hour: ms / HOUR_MS, dir: hr.path })
        }
      }
    }
  }
  return found.sort((a, b) => a.hour - b.hour || a.dir.localeCompare(b.dir))
}

/** True when the hour ended at least `graceMs` before `nowMs`: no collector writes to it any more. */
export function isClosed (hour: number, nowMs: number, graceMs: number): boolean {
  return (hour + 1) * HOUR_MS + graceMs <= nowMs
}

/**
 * The files a reader should read of one dataset of `out` (absolute paths, by hour): each
 * hour directory's visibleFiles(), so that a compaction's swap under way is never read
 * twice (formats/ARCHIVE.md, "Compaction").
 */
export async function listVisibleFiles (out: string, dataset: HourDir['dataset'], filter: HourFilter = {}): Promise<string[]> {
  const files: string[] = []
  for (const h of await listHourDirs(out, filter)) {
    if (h.dataset === dataset) files.push(...(await visibleFiles(h.dir)).map(n => join(h.dir, n)))
  }
  return files
}

/** Compacts the given hours one after another; `each` hears every result as it comes. */
export async function compactHours (
  conn: DuckDBConnection, hours: readonly HourDir[], opts: CompactOptions, each: (h: HourDir, r: HourResult) => void
): Promise<void> {
  for (const h of hours) each(h, await compactHour(conn, h.dir, opts))
}

async function subdirs (dir: string, re: RegExp): Promise<Array<{ path: string; value: string }>> {
  let entries
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return []
    throw e
  }
  const out: Array<{ path: string; value: string }> = []
  for (const e of entries) {
    const m = e.isDirectory() ? re.exec(e.name) : null
    if (m !== null) out.push({ path: join(dir, e.name), value: m[1]! })
  }
  return out.sort((a, b) => a.value.localeCompare(b.value))
}
