// `stats` read through one descriptor kept open, for a module whose files hold no module
// reference (info `unpinned_files 1`, PROTOCOL.md §1): a pread() from offset 0 makes the
// seq_file print it again, where opening, reading and closing it at every pass cost more in
// a slow guest than the sub-buffers the pass took. The descriptor reads the instance it was
// opened on for good: once that module is gone it fails with EIO, and a new load's stats
// are another file. So no pass can read a new module's stats as this channel's.
import fs from 'node:fs'
import { ChannelError, errnoOf, explainFileError, type SystemPaths } from './errors.ts'

export class HeldStats {
  private fd: number | null = null
  private buf = Buffer.allocUnsafe(16 * 1024)

  /** `checkChannel` throws unless info still names the channel (channel.ts checkChannelId) */
  constructor (
    private readonly file: string,
    private readonly sys: SystemPaths,
    private readonly checkChannel: () => void
  ) {}

  /** The text as of now; throws ChannelError 'not-a-channel' once the module is gone or replaced. */
  read (): string {
    const fd = this.fd ?? this.open()
    for (;;) {
      let n: number
      try {
        n = fs.readSync(fd, this.buf, 0, this.buf.length, 0)
      } catch (err) {
        const errno = errnoOf(err)
        if (errno === 'EIO' || errno === 'ENODEV') {
          throw new ChannelError('not-a-channel', `cannot read ${this.file} (${errno}): the module is gone`, { cause: err })
        }
        throw explainFileError(this.file, errno, 'cannot read', this.sys, err)
      }
      // one read() is one printing of the table: a second one, further on, would be another
      if (n < this.buf.length) return this.buf.toString('latin1', 0, n)
      this.buf = Buffer.allocUnsafe(this.buf.length * 2)
    }
  }

  close (): void {
    if (this.fd !== null) fs.closeSync(this.fd)
    this.fd = null
  }

  /** Opens the file, then checks that info names this channel still: a reload before the open is not missed. */
  private open (): number {
    let fd: number
    try {
      fd = fs.openSync(this.file, 'r')
    } catch (err) {
      throw explainFileError(this.file, errnoOf(err), 'cannot open', this.sys, err)
    }
    try {
      this.checkChannel()
    } catch (err) {
      fs.closeSync(fd)
      throw err
    }
    this.fd = fd
    return fd
  }
}
