// The simulator's files other than the buffers, as a consumer in any process sees them:
// `info` and `stats` replaced whole, and `wait` (PROTOCOL.md §9) as a FIFO.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

/**
 * Replaces `dir/name` by a complete new file: written under a temporary name, then renamed
 * over it. A reader in another process, which opens the file by name, gets the old or the new
 * text, never a mix (rewriting in place gave torn reads under load). The directory is tmpfs by
 * default, where this costs microseconds; on ext4 a rename over a file costs milliseconds.
 */
export function replaceFile (dir: string, name: string, text: string): void {
  const file = path.join(dir, name)
  const tmp = path.join(dir, `.${name}.tmp`)
  fs.writeFileSync(tmp, text, 'latin1')
  fs.renameSync(tmp, file)
}

/**
 * The module's `wait` file, simulated by a FIFO: the simulator writes one byte per event (a
 * sub-buffer the write path completed, the end of a flush pass, the unload), non-blocking,
 * and a consumer's read() blocks until there is one, as on the module. A consumer's write()
 * wakes its own read, as on the module. Differences: a byte wakes one reader, not every one
 * (a channel has one consumer), the read has no 1 s bound (nothing happens in the simulator
 * unless its driver acts), and it returns the bytes, not a generation.
 */
export class SimWait {
  readonly path: string
  private fd: number | null

  constructor (dir: string) {
    this.path = path.join(dir, 'wait')
    fs.rmSync(this.path, { force: true })
    execFileSync('mkfifo', ['-m', '600', this.path])
    // read-write: opening never blocks, and the FIFO always has a writer while the simulator lives
    this.fd = fs.openSync(this.path, fs.constants.O_RDWR | fs.constants.O_NONBLOCK)
  }

  /** One event; nothing if the FIFO is full (its reader has bytes to read anyway). */
  notify (): void {
    if (this.fd === null) return
    try {
      fs.writeSync(this.fd, WAKE_BYTE)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err
    }
  }

  /** Wakes a blocked reader one last time, then closes the simulator's end. */
  close (): void {
    if (this.fd === null) return
    this.notify()
    fs.closeSync(this.fd)
    this.fd = null
  }
}

const WAKE_BYTE = Buffer.from('\n')
