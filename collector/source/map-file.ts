// mmap of one relay file, read-only and shared, with failures explained.
import fs from 'node:fs'
import os from 'node:os'
import { mmap } from './mmap-io.ts'
import { errnoOf, explainFileError, type SystemPaths } from './errors.ts'

/** mmap-io reports failures as "mmap failed, <errno number>". */
function mmapErrno (err: unknown): string {
  const number = /mmap failed, (\d+)/.exec(String((err as Error)?.message))?.[1]
  if (number === undefined) return 'EUNKNOWN'
  const name = Object.entries(os.constants.errno).find(([, value]) => value === Number(number))?.[0]
  return name ?? `errno ${number}`
}

/**
 * Maps `length` bytes of `file` from offset 0. The descriptor is closed at once: the mapping
 * stays valid until the returned Buffer is garbage collected.
 */
export function mapFileReadOnly (file: string, length: number, sys: SystemPaths): Buffer {
  let fd: number
  try {
    fd = fs.openSync(file, 'r')
  } catch (err) {
    throw explainFileError(file, errnoOf(err), 'cannot open', sys, err)
  }
  try {
    return mmap.map(length, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
  } catch (err) {
    throw explainFileError(file, mmapErrno(err), 'cannot mmap', sys, err)
  } finally {
    fs.closeSync(fd)
  }
}
