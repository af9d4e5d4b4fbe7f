// The spool and archive directories are checked before the collector writes to them: a
// directory another user can write to (world-writable, or owned by another user) lets that
// user plant links or files where the collector writes, and a symlink that is not the
// operator's (root's or the collector's own user's) may send the data anywhere. Links
// inside the directories are never followed when writing (file-mode.ts, durable.ts).
import fs from 'node:fs'

/** A configured directory that is not safe to write to; the message names it and why. */
export class UnsafeDirError extends Error {
  override readonly name = 'UnsafeDirError'
}

function trusted (uid: number): boolean {
  return uid === 0 || uid === process.geteuid?.()
}

/**
 * Refuses `dir` (`what`: '--spool', '--out') if it is a symlink owned by someone other than
 * root or this user, not a directory, world-writable, or owned by another user. A directory
 * that does not exist yet is fine: the collector creates it (file-mode.ts' directory mode).
 */
export function checkDataDir (dir: string, what: string): void {
  let link: fs.Stats
  try {
    link = fs.lstatSync(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  if (link.isSymbolicLink() && !trusted(link.uid)) {
    throw new UnsafeDirError(`${what} ${dir} is a symlink owned by uid ${link.uid} (not root, not this user): the collector does not follow it`)
  }
  let st: fs.Stats
  try {
    st = fs.statSync(dir)
  } catch (err) {
    throw new UnsafeDirError(`${what} ${dir} is a symlink to nothing usable: ${(err as Error).message}`)
  }
  if (!st.isDirectory()) throw new UnsafeDirError(`${what} ${dir} is not a directory`)
  if ((st.mode & 0o002) !== 0) {
    throw new UnsafeDirError(`${what} ${dir} is world-writable (mode 0${(st.mode & 0o7777).toString(8)}): anyone could plant files there; ` +
      'give the collector a directory of its own (chmod o-w, or another path)')
  }
  if (!trusted(st.uid)) {
    throw new UnsafeDirError(`${what} ${dir} is owned by uid ${st.uid}, not by root or this user: that user could plant files there`)
  }
}
