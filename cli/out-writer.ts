// Writes a command's output to stdout with backpressure (a slow reader slows the producer
// instead of growing a buffer), and notices a reader that went away (`krelay query ... |
// head`): `closed` turns true and the command stops, exit 0, as head expects.
export class OutWriter {
  closed = false
  private waiting: (() => void) | null = null

  constructor (private readonly out: NodeJS.WritableStream = process.stdout) {
    out.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e
      this.closed = true
      this.waiting?.()
    })
  }

  /** Resolves once `s` is handed over or the reader is gone. */
  async write (s: string): Promise<void> {
    if (this.closed || s === '') return
    if (this.out.write(s)) return
    await new Promise<void>(resolve => {
      this.waiting = resolve
      this.out.once('drain', resolve)
    })
    this.waiting = null
  }
}
