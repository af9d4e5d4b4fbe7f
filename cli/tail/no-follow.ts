// krelay tail --no-follow: the records -n or --since select from the archive and the
// spool, printed as a following tail prints them, then exit. No socket: it needs no
// collector.
import { CliFailure, EXIT_OK } from '../errors.ts'
import { DEFAULT_LINES, type TailOptions } from '../tail.ts'
import { readBacklog } from './backlog.ts'
import { useColor } from './color.ts'
import { filterOf } from './follow.ts'
import { historyLines } from './history-lines.ts'
import type { LineOptions } from './lines.ts'

export async function printBacklog (opts: TailOptions, out: NodeJS.WriteStream = process.stdout): Promise<number> {
  const lineOpts: LineOptions = { time: opts.time, color: useColor(opts.color, out.isTTY === true, process.env) }
  let items
  try {
    items = await readBacklog({ out: opts.out!, spool: opts.spool, lines: opts.lines ?? DEFAULT_LINES, since: opts.since, filter: filterOf(opts), liveCount: () => 0 }, () => false)
  } catch (e) {
    throw new CliFailure(`reading the history in ${opts.out!}: ${(e as Error).message}`)
  }
  out.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(EXIT_OK)
  })
  const lines = historyLines(items, opts.json, lineOpts)
  if (lines.length > 0) await new Promise<void>(resolve => out.write(lines.join('\n') + '\n', () => resolve()))
  return EXIT_OK
}
