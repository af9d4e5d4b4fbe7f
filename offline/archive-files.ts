// The archive files krelay's offline tools read (formats/ARCHIVE.md, "Layout"):
//   <dir>/<dataset>/host=<host>/date=<YYYY-MM-DD>/hour=<HH>/<name>.parquet
// A name or directory that starts with a dot is never data (a `.partial` being written,
// the collector's `.spool`), and a file outside that layout is not part of the archive.
//
// hourDirFiles is the one place that decides which files of an hour directory are read:
// compaction (which replaces an hour's files by one) plugs its journal in there, so that a
// reader never counts both the old files and their replacement.
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import { visibleFiles } from '../collector/archive/compact-journal.ts'

export type Dataset = 'records' | 'losses'
export const DATASETS: readonly Dataset[] = ['records', 'losses']

export interface ArchiveFile {
  readonly dataset: Dataset
  readonly path: string
  readonly host: string
  /** the partition's UTC date, YYYY-MM-DD */
  readonly date: string
  /** the partition's UTC hour, 00..23 */
  readonly hour: string
  /** UTC ns of the partition hour's start */
  readonly hourStartNs: bigint
  readonly bytes: number
}

const HOUR_NS = 3_600_000_000_000n

/** The partition of an hour directory `host=H/date=D/hour=HH` (relative to its dataset directory), or null when it is outside the layout. */
export function partitionOf (host: string, date: string, hour: string): { host: string, date: string, hour: string, hourStartNs: bigint } | null {
  const h = /^host=([^.][^/]*)$/.exec(host)
  const d = /^date=(\d{4}-\d\d-\d\d)$/.exec(date)
  const hh = /^hour=(\d\d)$/.exec(hour)
  if (h === null || d === null || hh === null || Number(hh[1]) > 23) return null
  const ms = Date.parse(`${d[1]!}T${hh[1]!}:00:00Z`)
  if (Number.isNaN(ms)) return null
  return { host: h[1]!, date: d[1]!, hour: hh[1]!, hourStartNs: BigInt(ms) * 1_000_000n }
}

/**
 * The names of the files to read in one hour directory: its `*.parquet` files, never a
 * dot name, and while compaction swaps the hour's files for their compacted file, either
 * the old files or the new one, never both (formats/ARCHIVE.md, "Compaction").
 */
export const hourDirFiles: (dir: string) => Promise<string[]> = visibleFiles

async function subdirs (dir: string): Promise<string[]> {
  try {
    return (await fsp.readdir(dir, { withFileTypes: true })).filter(e => e.isDirectory() && !e.name.startsWith('.')).map(e => e.name).sort()
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return []
    throw e
  }
}

/**
 * The published files of one dataset of one archive directory, by path: every hour
 * directory of the layout, through hourDirFiles. Dot directories are not descended into.
 */
export async function listArchiveFiles (dir: string, dataset: Dataset): Promise<ArchiveFile[]> {
  const root = path.join(dir, dataset)
  const out: ArchiveFile[] = []
  for (const host of await subdirs(root)) {
    for (const date of await subdirs(path.join(root, host))) {
      for (const hour of await subdirs(path.join(root, host, date))) {
        const part = partitionOf(host, date, hour)
        if (part === null) continue
        const hourDir = path.join(root, host, date, hour)
        for (const name of (await hourDirFiles(hourDir)).sort()) {
          const p = path.join(hourDir, name)
          out.push({ dataset, path: p, ...part, bytes: (await fsp.stat(p)).size })
        }
      }
    }
  }
  return out
}

export interface FileFilter {
  /** UTC ns, inclusive */
  since?: bigint
  /** UTC ns, exclusive */
  until?: bigint
  hosts?: readonly string[]
}

/**
 * Whether a file can hold rows of the window. Records: the partition hour is every row's
 * `ts` hour, so an hour outside [since, until) is skipped. Losses: a loss row overlaps
 * the window when ts_to >= since and ts_from < until, and only ts_from decides its
 * partition, so a loss partition is skipped only when it starts at or after `until`.
 */
export function fileInWindow (f: ArchiveFile, filter: FileFilter): boolean {
  if (filter.hosts !== undefined && !filter.hosts.includes(f.host)) return false
  if (filter.until !== undefined && f.hourStartNs >= filter.until) return false
  if (f.dataset === 'records' && filter.since !== undefined && f.hourStartNs + HOUR_NS <= filter.since) return false
  return true
}
