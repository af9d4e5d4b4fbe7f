// Watches an archive directory (formats/ARCHIVE.md) for published files: a file counts
// once its final `*.parquet` name appears under `<dataset>/host=H/...`. The collector
// writes `.<name>.parquet.partial` and renames it atomically, so a dot name (and a dot
// directory such as the collector's `.spool`) is never data and never watched.
import fs from 'node:fs'
import path from 'node:path'
import { watch } from 'chokidar'

export type Dataset = 'records' | 'losses'

export interface PublishedFile {
  readonly dataset: Dataset
  readonly host: string
  readonly path: string
  /** the file name: names sort by the file's first time */
  readonly name: string
}

export interface ArchiveWatcher {
  /** the files already published, once the watch is on: later ones go to onFile, each once */
  ready: Promise<PublishedFile[]>
  close(): Promise<void>
}

const PUBLISHED = /^(records|losses)\/host=([^/]+)\/date=[^/]+\/hour=[^/]+\/([^./][^/]*\.parquet)$/

/** The published file at `file` under `root`, or null when it is not one. */
export function publishedFile (root: string, file: string): PublishedFile | null {
  const m = PUBLISHED.exec(path.relative(root, file).split(path.sep).join('/'))
  if (m === null) return null
  return { dataset: m[1] as Dataset, host: m[2]!, path: file, name: m[3]! }
}

/** Every published file under `root`, by name. */
export function scanArchive (root: string): PublishedFile[] {
  const out: PublishedFile[] = []
  for (const dataset of ['records', 'losses']) {
    const dir = path.join(root, dataset)
    if (!fs.existsSync(dir)) continue
    for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[]) {
      const f = e.isFile() ? publishedFile(root, path.join(e.parentPath, e.name)) : null
      if (f !== null) out.push(f)
    }
  }
  return out.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
}

export function watchArchive (dir: string, onFile: (f: PublishedFile) => void, onError: (e: Error) => void): ArchiveWatcher {
  const root = path.resolve(dir)
  const watcher = watch(root, {
    ignoreInitial: true,
    // an add at once, never folded with an unlink just before it into a 'change'
    atomic: false,
    ignored: (p: string, stats?: fs.Stats) => p !== root && (path.basename(p).startsWith('.') || (stats?.isFile() === true && !p.endsWith('.parquet'))),
  })
  let closed = false
  let scanned = false
  const seen = new Set<string>()
  const report = (p: string): void => {
    // before the scan, which will list it
    if (closed || !scanned || seen.has(p)) return
    const f = publishedFile(root, p)
    if (f === null) return
    seen.add(p)
    onFile(f)
  }
  watcher.on('add', report)
  watcher.on('error', err => { if (!closed) onError(err as Error) })
  // chokidar reads the directories, then starts watching them: a file published in
  // between is in neither, so the initial list is read once the watch is on (ready)
  const ready = new Promise<void>(resolve => watcher.once('ready', resolve)).then(() => {
    const files = scanArchive(root)
    for (const f of files) seen.add(f.path)
    scanned = true
    return files
  })
  return {
    ready,
    close: async () => {
      closed = true
      await watcher.close()
    },
  }
}
