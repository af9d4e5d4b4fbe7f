// Durable file operations, for the spool, the ledger and the archive: directories that
// survive a crash, and atomic replacement (write a temporary file, fsync it, rename it
// into place, fsync the directory). The async forms serve the archive's publishing; the
// sync ones serve the spool and the ledger, whose callers are synchronous on purpose
// (the spool's write path runs before a sub-buffer is acknowledged).

import fs, { constants, promises as fsp } from 'node:fs'
import { dirname, relative, sep } from 'node:path'
import { createFileSync, dirMode } from './file-mode.ts'

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
  // a leftover (or a link planted there) goes: the new file is created, never opened through a link
  fs.rmSync(tmp, { force: true })
  const fd = createFileSync(tmp)
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
 * Creates `dir` and any missing parents (with the directory mode, file-mode.ts), and fsyncs
 * the parent of every directory it created, so the new entries survive a crash. `known`
 * caches directories already made durable by this process. Below `root` (the archive's
 * directory, which may itself be an operator's symlink) no symlink is followed: one planted
 * there is refused, naming it.
 */
export async function ensureDurableDir (dir: string, known: Set<string>, root?: string): Promise<void> {
  if (known.has(dir)) return
  if (root !== undefined && await lstatOrNull(root) === null) await ensureDurableDir(root, known)
  // from `dir` up: to `root` (each one checked), or else to the first that exists
  const chain: string[] = []
  for (let d = dir; ; d = dirname(d)) {
    if (root !== undefined && !isBelow(d, root)) break
    chain.push(d)
    if (root === undefined && await lstatOrNull(d) !== null) break
    if (dirname(d) === d) break
  }
  for (let i = chain.length - 1; i >= 0; i--) {
    const d = chain[i]!
    const st = await lstatOrNull(d)
    if (st === null) {
      try {
        await fsp.mkdir(d, dirMode())
        await fsp.chmod(d, dirMode()) // the umask took bits away
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      }
      await fsyncPath(dirname(d), true)
      continue
    }
    if (st.isSymbolicLink() && root !== undefined) {
      throw Object.assign(new Error(`${d} is a symlink: the collector does not follow links inside ${root}`), { code: 'ELOOP' })
    }
    if (!(st.isSymbolicLink() ? await fsp.stat(d) : st).isDirectory()) {
      throw Object.assign(new Error(`${d} exists and is not a directory`), { code: 'ENOTDIR' })
    }
  }
  known.add(dir)
}

async function lstatOrNull (p: string): Promise<fs.Stats | null> {
  try {
    return await fsp.lstat(p)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
    return null
  }
}

function isBelow (p: string, root: string): boolean {
  const r = relative(root, p)
  return r !== '' && r !== '..' && !r.startsWith(`..${sep}`)
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
