// What `krelay collect` prints on stderr while it runs. On a terminal: its log lines, and
// below them one status line (status-line.ts) that log-update redraws at every status
// snapshot (about once a second); a log line is printed above it (the line is erased, the
// log line written, the line drawn again), and at the end the line stays with the final
// figures. Elsewhere (a pipe, a file, the journal): no status line, and every log line
// starts with its time, ISO 8601 UTC with milliseconds, so that a log read later says when.
// Either way the drop hints (drop-watch.ts) are log lines.
import fs from 'node:fs'
import path from 'node:path'
import { createLogUpdate } from 'log-update'
import { parseInfo } from '../../formats/info.ts'
import type { CollectorStatus } from '../../collector/collect/status-file.ts'
import { DropWatch } from './drop-watch.ts'
import type { Geometry } from './drop-hint.ts'
import { statusLine } from './status-line.ts'

export const PREFIX = 'krelay collect: '

/** The stream the console writes to: process.stderr, or a test's. */
export interface ConsoleStream {
  write: (s: string) => boolean
  isTTY?: boolean
  columns?: number
  rows?: number
}

export interface ConsoleOptions {
  /** the channel directory, whose info gives the buffer geometry for drop hints */
  channelDir: string
  env?: NodeJS.ProcessEnv
  now?: () => Date
}

/** A line of the log as written where there is no terminal. */
export function timestamped (line: string, at: Date): string {
  return `${at.toISOString()} ${PREFIX}${line}\n`
}

/** The buffer geometry of the channel in `channelDir` if it is still `channelId`; undefined when it cannot be read. */
export function readGeometry (channelDir: string, channelId: string): Geometry | undefined {
  try {
    const info = parseInfo(fs.readFileSync(path.join(channelDir, 'info'), 'latin1'))
    return info.channelId === channelId ? { subbufSize: info.subbufSize, nSubbufs: info.nSubbufs } : undefined
  } catch {
    return undefined
  }
}

export class CollectConsole {
  readonly terminal: boolean
  private readonly update: ReturnType<typeof createLogUpdate> | undefined
  private readonly drops: DropWatch
  private readonly now: () => Date
  private cur: CollectorStatus | undefined
  private closed = false

  constructor (private readonly stream: ConsoleStream, opts: ConsoleOptions) {
    this.terminal = stream.isTTY === true && (opts.env ?? process.env).TERM !== 'dumb'
    // log-update writes to a NodeJS.WriteStream; it uses write, columns, rows and isTTY only
    this.update = this.terminal ? createLogUpdate(stream as unknown as NodeJS.WriteStream, { showCursor: true }) : undefined
    this.drops = new DropWatch(id => readGeometry(opts.channelDir, id))
    this.now = opts.now ?? (() => new Date())
  }

  /** Prints one log line (above the status line on a terminal). */
  readonly log = (line: string): void => {
    if (this.update === undefined || this.closed) {
      this.stream.write(this.terminal ? `${PREFIX}${line}\n` : timestamped(line, this.now()))
      return
    }
    // not log-update's persist(), which breaks a long line at the width: the terminal wraps
    // it, so that a path copied from it is whole
    this.update.clear()
    this.stream.write(`${PREFIX}${line}\n`)
    this.draw()
  }

  /** A status snapshot (CollectOptions.onStatus): drop hints, and the status line redrawn. */
  readonly status = (s: CollectorStatus): void => {
    this.cur = s
    for (const line of this.drops.take(s)) this.log(line)
    this.draw()
  }

  /**
   * The end: the status line stays with the last figures, and the drop hints not given yet
   * are; returns the summary's drop line (drop-hint.ts summaryHint), if anything was dropped.
   */
  close (): string | undefined {
    for (const line of this.drops.finish()) this.log(line)
    this.draw()
    this.update?.done()
    this.closed = true
    return this.drops.summary()
  }

  private draw (): void {
    if (this.update === undefined || this.cur === undefined || this.closed) return
    this.update(statusLine(this.cur, this.stream.columns ?? 80))
  }
}
