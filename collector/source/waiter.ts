// Waiting on the channel's `wait` file (PROTOCOL.md §9) instead of sleeping out the flush
// interval: a read() of it blocks in the kernel until a sub-buffer completes, a flush pass
// ends, or someone writes to the file, for at most WAIT_TIMEOUT_MS. Node cannot poll() a
// debugfs file, so the read runs as an ordinary fs.read in libuv's thread pool: one pool
// thread per waiting reader. The simulator's `wait` is a FIFO, read the same way.
//
// A read still pending would hold a pool thread, and process exit joins the pool: so close()
// and process exit write to the file first, which ends the read at once.
import fs from 'node:fs'
import { WAIT_READ_MIN } from '../../formats/wire.ts'
import { errnoOf } from './errors.ts'

/** Why wait() returned: the file said so, the fallback time passed, or wake()/abort. */
export type WaitEnd = 'file' | 'timeout' | 'woken'

export interface Waiter {
  /**
   * Resolves when the wait file's read returns (something to take, or its bounded timeout),
   * after `fallbackMs`, on wake() or when `signal` aborts. A read that outlives one wait() is
   * taken over by the next. Once the file fails (the module went: ENODEV, EIO; a simulator's
   * FIFO closed), `failed` is set and every wait() is a plain sleep of `fallbackMs`.
   */
  wait(fallbackMs: number, signal?: AbortSignal): Promise<WaitEnd>
  /** Ends the current wait() now. */
  wake(): void
  /** the errno (or 'EOF') the file failed with, null while it works */
  readonly failed: string | null
  /** Ends a pending read by writing to the file, waits for it, closes the descriptor. */
  close(): Promise<void>
}

/** read() failures that say nothing about the file: try again at the next wait() */
const TRANSIENT = new Set(['EINTR', 'EAGAIN'])
/** the module is unloading (ENODEV) or gone (EIO), or the simulator closed its FIFO (EOF) */
const GONE = new Set(['ENODEV', 'EIO', 'EOF'])

/** Waiters with a descriptor open, for the exit hook. */
const open = new Set<FileWaiter>()
let exitHooked = false

function hookExit (): void {
  if (exitHooked) return
  exitHooked = true
  // Runs before Node joins its thread pool at exit, which would wait for a blocked read.
  process.on('exit', () => { for (const w of open) w.unblock() })
}

class FileWaiter implements Waiter {
  failed: string | null = null
  private fd: number | null
  private readonly buf = Buffer.alloc(Math.max(64, WAIT_READ_MIN))
  /** the read under way, if any; it settles to null on success, else the error code */
  private pending: Promise<string | null> | null = null
  private wakeNow: (() => void) | null = null

  constructor (readonly path: string, fd: number) {
    this.fd = fd
    open.add(this)
    hookExit()
  }

  private startRead (): Promise<string | null> {
    const fd = this.fd!
    return new Promise((resolve) => {
      fs.read(fd, this.buf, 0, this.buf.length, null, (err, n) => {
        this.pending = null
        if (err) resolve(errnoOf(err))
        else resolve(n === 0 ? 'EOF' : null)
      })
    })
  }

  wait (fallbackMs: number, signal?: AbortSignal): Promise<WaitEnd> {
    if (signal?.aborted) return Promise.resolve('woken')
    if (this.fd !== null && this.failed === null && this.pending === null) this.pending = this.startRead()
    const read = this.pending
    return new Promise((resolve) => {
      let settled = false
      const done = (end: WaitEnd): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        this.wakeNow = null
        resolve(end)
      }
      const onAbort = (): void => done('woken')
      const timer = setTimeout(() => done('timeout'), fallbackMs)
      signal?.addEventListener('abort', onAbort, { once: true })
      this.wakeNow = () => done('woken')
      read?.then((failure) => {
        if (failure !== null && !TRANSIENT.has(failure) && this.failed === null) this.failed = failure
        // a failed file is no reason to pass now, except when it failed because the module went
        if (failure === null || TRANSIENT.has(failure) || GONE.has(failure)) done('file')
      })
    })
  }

  wake (): void {
    this.wakeNow?.()
  }

  /** Makes a pending read return: any write to the file wakes its readers (a FIFO gets a byte). */
  unblock (): void {
    if (this.fd === null || this.pending === null) return
    try {
      fs.writeSync(this.fd, '\n')
    } catch {
      // the module is gone: its read has returned or returns ENODEV by itself
    }
  }

  async close (): Promise<void> {
    if (this.fd === null) return
    this.wake()
    this.unblock()
    await this.pending
    open.delete(this)
    fs.closeSync(this.fd)
    this.fd = null
  }
}

/**
 * Opens `path` for waiting, read-write (a write wakes its readers, PROTOCOL.md §9; a FIFO
 * opened so never blocks the open). Null when there is no such file: a module from before
 * the wait file, waited for by sleeping. Other failures (EACCES) are thrown.
 */
export function openWaiter (path: string): Waiter | null {
  let fd: number
  try {
    fd = fs.openSync(path, 'r+')
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return null
    throw err
  }
  return new FileWaiter(path, fd)
}
