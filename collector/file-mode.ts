// The permissions of everything the collector creates (spool segments, state.json, staging
// files, Parquet files and the directories holding them), whatever the umask: files get
// the file mode (0640 by default, --file-mode), directories the same with x wherever r
// is (0750). Files are created exclusively and never through a symlink (O_EXCL, O_NOFOLLOW),
// so a link planted where the collector writes cannot send its data elsewhere.
// Each thread sets the mode once at start (the archive worker from its setup).
import fs, { constants } from 'node:fs'
import path from 'node:path'

export const DEFAULT_FILE_MODE = 0o640

let fileMode = DEFAULT_FILE_MODE

/** Sets the mode of files created from now on (this thread); throws on a mode that is not 0..0777 or has x bits. */
export function setFileMode (mode: number): void {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) throw new RangeError(`file mode ${mode} is not 0..0777`)
  if ((mode & 0o111) !== 0) throw new RangeError(`file mode 0${mode.toString(8)} gives x to files: data files are not programs`)
  fileMode = mode
}

export function getFileMode (): number {
  return fileMode
}

/** The mode of directories: the file mode with x wherever it has r. */
export function dirMode (): number {
  return fileMode | ((fileMode & 0o444) >> 2)
}

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW

/** Creates `file` (it must not exist, nor be a symlink) for writing with the file mode; returns its fd. */
export function createFileSync (file: string): number {
  const fd = fs.openSync(file, CREATE, fileMode)
  try {
    fs.fchmodSync(fd, fileMode) // the umask took bits away
  } catch (err) {
    fs.closeSync(fd)
    throw err
  }
  return fd
}

/** Gives an existing regular file (not a symlink: ELOOP) the file mode. */
export function chmodFileSync (file: string): void {
  const fd = fs.openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW)
  try { fs.fchmodSync(fd, fileMode) } finally { fs.closeSync(fd) }
}

/** mkdir -p with the directory mode on every directory it creates (not on those that were there). */
export function makeDirSync (dir: string): void {
  const first = fs.mkdirSync(dir, { recursive: true, mode: dirMode() })
  if (first === undefined) return
  const mode = dirMode()
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    fs.chmodSync(d, mode)
    if (d === path.resolve(first) || d === path.dirname(d)) break
  }
}
