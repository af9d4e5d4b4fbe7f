// A full disk (ENOSPC) or an exhausted quota (EDQUOT) is waited out, not failed on: the
// writer that hit it keeps what it wrote consistent, says once what is full and what
// waits, retries every RETRY_MS, and says once that it resumed and after how long. The
// spool (capture, main thread) and the archive (worker) each keep one DiskFullWait.
import { dirname } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

export const DISK_FULL_RETRY_MS = 1000

const FULL_CODES = new Set(['ENOSPC', 'EDQUOT'])

/** 'ENOSPC' or 'EDQUOT' when `err` (or an error it was caused by) is one, else undefined. */
export function diskFullCode (err: unknown): string | undefined {
  let e = err
  for (let depth = 0; e !== null && typeof e === 'object' && depth < 8; depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && FULL_CODES.has(code)) return code
    const msg = (e as { message?: unknown }).message
    if (typeof msg === 'string') {
      // DuckDB reports its I/O errors as text only (archive/errors.ts)
      if (/No space left on device/i.test(msg)) return 'ENOSPC'
      if (/Disk quota exceeded/i.test(msg)) return 'EDQUOT'
    }
    e = (e as { cause?: unknown }).cause
  }
  return undefined
}

/** Thrown by DiskFullWait.pause when `stop` aborted while the disk was full. */
export class StoppedWhileFullError extends Error {
  override readonly name = 'StoppedWhileFullError'
  constructor (readonly path: string, what: string) {
    super(`stopped while the filesystem of ${path} is full: ${what}`)
  }
}

export class DiskFullWait {
  /** when the current wait started (performance.now()), 0 when not waiting */
  private since = 0
  private path = ''

  /**
   * `waiting` says what waits while the disk is full (ends the first line); `onStop` what
   * happens to it when the collector stops meanwhile (StoppedWhileFullError's message).
   */
  constructor (
    private readonly log: (line: string) => void,
    private readonly waiting: string,
    private readonly onStop: string,
    private readonly stop?: AbortSignal,
    private readonly retryMs = DISK_FULL_RETRY_MS
  ) {}

  get waitingSince (): number {
    return this.since
  }

  /**
   * A write of `path` (in `dir`) failed with `err`: rethrows it unless the disk is full; else says so
   * (once per wait) and waits retryMs. Throws StoppedWhileFullError once `stop` aborted.
   */
  async pause (err: unknown, path: string, dir = dirname(path)): Promise<void> {
    const code = diskFullCode(err)
    if (code === undefined) throw err
    if (this.since === 0) {
      this.since = performance.now()
      this.path = path
      const why = code === 'EDQUOT' ? 'disk quota exceeded (EDQUOT)' : 'no space left on device (ENOSPC)'
      this.log(`disk full: cannot write ${path}: ${why} on the filesystem of ${dir}; ${this.waiting}; ` +
        `retrying every ${(this.retryMs / 1000).toFixed(0)} s until there is room`)
    }
    if (this.stop?.aborted) throw new StoppedWhileFullError(path, this.onStop)
    await sleep(this.retryMs, undefined, { signal: this.stop }).catch(() => undefined)
    if (this.stop?.aborted) throw new StoppedWhileFullError(path, this.onStop)
  }

  /** A write succeeded: ends the wait, if there was one, saying how long it took. */
  resumed (): void {
    if (this.since === 0) return
    const s = (performance.now() - this.since) / 1000
    this.since = 0
    this.log(`disk space is back: wrote ${this.path} after waiting ${s.toFixed(1)} s`)
  }
}
