// Durable file operations: directories that survive a crash, and atomic publication
// (fsync the file, rename it into place, fsync the directory).

import { constants, promises as fs } from 'node:fs'
import { dirname, join } from 'node:path'
import { isPartialName } from './paths.ts'

/** fsync a file or directory by path. */
export async function fsyncPath (path: string, isDir = false): Promise<void> {
  const fh = await fs.open(path, isDir ? constants.O_RDONLY | constants.O_DIRECTORY : constants.O_RDONLY)
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/**
 * Creates `dir` and any missing parents, and fsyncs the parent of every directory it
 * created, so the new entries survive a crash. `known` caches directories already made
 * durable by this process.
 */
export async function ensureDurableDir (dir: string, known: Set<string>): Promise<void> {
  if (known.has(dir)) return
  const missing: string[] = []
  let d = dir
  for (;;) {
    try {
      const st = await fs.stat(d)
      if (!st.isDirectory()) throw Object.assign(new Error(`${d} exists and is not a directory`), { code: 'ENOTDIR' })
      break
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
      missing.push(d)
      const up = dirname(d)
      if (up === d) break
      d = up
    }
  }
  for (let i = missing.length - 1; i >= 0; i--) {
    const m = missing[i]!
    try {
      await fs.mkdir(m)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
    await fsyncPath(dirname(m), true)
  }
  known.add(dir)
}

/**
 * Makes a complete file at `tmp` durable and visible as `final` (same directory):
 * fsync the file, rename it, fsync the directory. If the directory fsync fails the
 * file is taken away again, so a retry cannot leave two copies of the same rows.
 */
export async function publishFile (tmp: string, final: string): Promise<void> {
  await fsyncPath(tmp)
  await fs.rename(tmp, final)
  try {
    await fsyncPath(dirname(final), true)
  } catch (e) {
    await removeQuietly(final)
    throw e
  }
}

/** Removes a file, ignoring any error (used to clean up after a failure). */
export async function removeQuietly (path: string): Promise<void> {
  try {
    await fs.unlink(path)
  } catch {
    // nothing to clean up, or nothing more we can do
  }
}

/**
 * Removes leftover `.*.parquet.partial` files under `dir` (a crash during a write leaves
 * them; they are never read). Returns the paths removed. Call it at startup, before any
 * writer of this host runs; it walks the whole tree, so give it the host's directory.
 */
export async function removePartialFiles (dir: string): Promise<string[]> {
  const removed: string[] = []
  let entries: import('node:fs').Dirent[]
  try {
    entries = await fs.readdir(dir, { withFileTypes: true })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return removed
    throw e
  }
  for (const e of entries) {
    const p = join(dir, e.name)
    if (e.isDirectory()) removed.push(...(await removePartialFiles(p)))
    else if (e.isFile() && isPartialName(e.name)) {
      await fs.unlink(p)
      removed.push(p)
    }
  }
  return removed
}
