// The archive files krelay's offline tools read (formats/ARCHIVE.md, "Layout"):
//   <dir>/<dataset>/host=<host>/date=<YYYY-MM-DD>/hour=<HH>/<name>.parquet
// A name or directory that starts with a dot is never data (a `.partial` being written,
// the collector's `.spool`), and a file outside that layout is not part of the archive.
//
// listArchiveFiles is the one place that decides which files of a directory are read:
// compaction (which replaces an hour's files by one) plugs its journal in here, so that a
// reader never counts both the old files and their replacement.
import fs from 'node:fs'
import path from 'node:path'

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
const LAYOUT = /^host=([^/]+)\/date=(\d{4}-\d\d-\d\d)\/hour=(\d\d)\/([^./][^/]*\.parquet)$/

/** The partition `file` (relative to its dataset directory, `/`-separated) lies in, or null when it is outside the layout. */
export function partitionOf (relative: string): { host: string, date: string, hour: string, hourStartNs: bigint } | null {
  const m = LAYOUT.exec(relative)
  if (m === null) return null
  const ms = Date.parse(`${m[2]!}T${m[3]!}:00:00Z`)
  if (Number.isNaN(ms) || Number(m[3]) > 23) return null
  return { host: m[1]!, date: m[2]!, hour: m[3]!, hourStartNs: BigInt(ms) * 1_000_000n }
}

/**
 * The published files of one dataset of one archive directory, sorted by path. Dot
 * directories are not descended into.
 * Compaction hook: when an hour is being compacted, this must list either its old files
 * or its compacted file, never both (the compaction journal decides which).
 */
export function listArchiveFiles (dir: string, dataset: Dataset): ArchiveFile[] {
  const root = path.join(dir, dataset)
  const out: ArchiveFile[] = []
  const walk = (d: string): void => {
    let entries: fs.Dirent[]
    try {
      entries = fs.readdirSync(d, { withFileTypes: true })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return
      throw e
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue
      const p = path.join(d, e.name)
      if (e.isDirectory()) {
        walk(p)
        continue
      }
      if (!e.isFile()) continue
      const part = partitionOf(path.relative(root, p).split(path.sep).join('/'))
      if (part === null) continue
      out.push({ dataset, path: p, ...part, bytes: fs.statSync(p).size })
    }
  }
  walk(root)
  return out.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0)
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
