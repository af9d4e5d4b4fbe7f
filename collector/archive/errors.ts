import type { Published } from './types.ts'

/**
 * Writing a file failed (full disk, permissions, a path that is a file, ...). The rows
 * meant for it are still staged: the next publish retries them, in the same order.
 * `published` lists the files this same call did publish before the failure; they are
 * durable and the caller must account for them exactly as for a successful return.
 */
export class ArchiveWriteError extends Error {
  override readonly name = 'ArchiveWriteError'
  readonly path: string
  readonly code: string | undefined
  readonly published: readonly Published[]

  constructor (path: string, cause: unknown, published: readonly Published[]) {
    const msg = cause instanceof Error ? cause.message : String(cause)
    super(`archive: cannot write ${path}: ${msg}`, { cause })
    this.path = path
    this.code = errnoCode(cause)
    this.published = published
  }
}

/**
 * `append` refused a row because the writer already holds `limit` bytes of rows that
 * could not be published yet. The row was not taken; publish (or free disk space and
 * publish) before appending again.
 */
export class StagingFullError extends Error {
  override readonly name = 'StagingFullError'
  constructor (readonly stagedBytes: number, readonly limit: number) {
    super(`archive: ${stagedBytes} bytes are staged and unpublished (limit ${limit}); publish before appending more`)
  }
}

/** Finds an errno code (ENOSPC, EACCES, ...) in a Node error or in DuckDB's message text. */
function errnoCode (e: unknown): string | undefined {
  if (e && typeof e === 'object' && 'code' in e && typeof (e as { code: unknown }).code === 'string') {
    return (e as { code: string }).code
  }
  const msg = e instanceof Error ? e.message : String(e)
  if (/No space left on device/i.test(msg)) return 'ENOSPC'
  if (/Permission denied/i.test(msg)) return 'EACCES'
  if (/Read-only file system/i.test(msg)) return 'EROFS'
  if (/Not a directory/i.test(msg)) return 'ENOTDIR'
  if (/Disk quota exceeded/i.test(msg)) return 'EDQUOT'
  return undefined
}
