// Durable file operations, for the spool, the ledger and the archive: directories that
// survive a crash, and atomic replacement (write a temporary file, fsync it, rename it
// into place, fsync the directory). The async forms serve the archive's publishing; the
// sync ones serve the spool and the ledger, whose callers are synchronous on purpose
// (the spool's write path runs before a sub-buffer is acknowledged).

import fs, { constants, promises as fsp } from 'node:fs'
import { dirname } from 'node:path'

function openFlags (isDir: boolean): number {
  return isDir ? constants.O_RDONLY | constants.O_DIRECTORY : constants.O_RDONLY
}

/** fsync a file or directory by path. */
export async function fsyncPath (path: string, isDir = false): Promise<void> {
  const fh = await fsp.open(path, openFlags(isDir))
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/** fsync a file or directory by path, synchronously. */
export function fsyncPathSync (path: string, isDir = false): void {
  const fd = fs.openSync(path, openFlags(isDir))
  try { fs.fsyncSync(fd) } finally { fs.closeSync(fd) }
}

/**
 * Replaces `file` with `text`, atomically and durably: `${file}.tmp` is written and
 * fsynced, renamed over `file`, and the directory fsynced.
 */
export function replaceFileSync (file: string, text: string): void {
  const tmp = `${file}.tmp`
  const fd = fs.openSync(tmp, 'w')
  try {
    fs.writeSync(fd, text)
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  fs.renameSync(tmp, file)
  fsyncPathSync(dirname(file), true)
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
      const st = await fsp.stat(d)
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
      await fsp.mkdir(m)
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
  await fsp.rename(tmp, final)
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
    await fsp.unlink(path)
  } catch {
    // nothing to clean up, or nothing more we can do
  }
}
