// krelay tail: watch the kernel's records as the collector merges them, from its live
// socket (formats/LIVE.md), filtered in the collector.
import type { Command } from 'commander'
import { z } from 'zod'
import { commanderOutput, UsageError } from './errors.ts'
import { integer, oneOf, parseOptions, pathOption, positiveNumber } from './options.ts'
import { DEFAULT_LIVE_SOCKET } from '../collector/live/socket-file.ts'
import { LEVEL_NAMES } from '../formats/wire.ts'
import { commList, cpuList, grepOption, pidList, typeList } from './tail/filter-options.ts'
import { followLive } from './tail/follow.ts'
import { DEFAULT_CHANNEL_DIR } from '../collector/source/channel.ts'
import { printBacklog } from './tail/no-follow.ts'
import { sinceOption } from './tail/since.ts'
import { DEFAULT_ARCHIVE_WAIT_S, followArchive } from './tail/archive-follow.ts'

export const tailSchema = z.object({
  socket: pathOption('--socket'),
  /** with no collector, the channel read directly */
  channel: pathOption('--channel').optional(),
  json: z.boolean().default(false),
  time: oneOf('--time', ['utc', 'local', 'mono']),
  color: oneOf('--color', ['auto', 'always', 'never']),
  cpu: cpuList.optional(),
  level: oneOf('--level', LEVEL_NAMES).optional(),
  type: typeList.optional(),
  pid: pidList.optional(),
  comm: commList.optional(),
  grep: grepOption.optional(),
  /** default 10 (DEFAULT_LINES), left out so that a caller can tell it was not given */
  lines: integer('--lines', 0, 1e9).optional(),
  since: sinceOption.optional(),
  /** false with --no-follow */
  follow: z.boolean().optional(),
  out: pathOption('--out').optional(),
  spool: pathOption('--spool').optional(),
  archive: pathOption('--archive').optional(),
  archiveWait: positiveNumber('--archive-wait', 'seconds', 86400).optional(),
})

/** -n when not given, like tail -f and journalctl -f */
export const DEFAULT_LINES = 10

export type TailOptions = z.output<typeof tailSchema>

export function registerTail (program: Command): void {
  program.command('tail')
    .configureOutput(commanderOutput('krelay tail'))
    .description('print the kernel\'s records as the running collector merges them, until Ctrl-C or the collector stops')
    .option('--socket <path>', 'the collector\'s live socket (krelay collect --live-socket)', DEFAULT_LIVE_SOCKET)
    .option('--channel <dir>', `with no collector running, the channel to read directly (default: ${DEFAULT_CHANNEL_DIR})`)
    .option('--json', 'one JSON object per line (formats/JSON-LINES.md)')
    .option('--time <zone>', 'utc (to the nanosecond), local, or mono (the kernel\'s CLOCK_MONOTONIC)', 'utc')
    .option('--color <when>', 'auto (on a terminal, unless NO_COLOR is set), always or never', 'auto')
    .option('--cpu <list>', 'only these CPUs, e.g. 0,2-3')
    .option('--level <level>', `only this level and more severe: ${LEVEL_NAMES.join(', ')}`)
    .option('--type <list>', 'only these record types: text, gen, sched_exec, sched_fork, 0xNNNN')
    .option('--pid <list>', 'only records written by these pids')
    .option('--comm <list>', 'only records written by these commands (exact names)')
    .option('--grep <regex>', 'only text records whose message matches (JavaScript syntax)')
    .option('--archive <dir>', 'follow an archive directory instead (krelay collect --out), merging its hosts by time as their files are published')
    .option('--archive-wait <seconds>', `with --archive: how long a host that publishes nothing holds the others back (default ${DEFAULT_ARCHIVE_WAIT_S})`)
    .option('-n, --lines <n>', 'first print the last <n> records from --out (default 10; 0: none)')
    .option('--since <time>', 'first print every record since <time> from --out: ISO 8601 with a zone (2026-11-30T06:00:00Z) or -Ns, -Nmin, -Nh')
    .option('--no-follow', 'print the records -n or --since select, then exit')
    .option('--out <dir>', 'the archive the collector writes (krelay collect --out), for -n and --since')
    .option('--spool <dir>', 'its spool, if not <out>/.spool (krelay collect --spool)')
    .action(async (raw: Record<string, unknown>) => {
      const opts = parseOptions(tailSchema, raw)
      if (opts.archive !== undefined) {
        process.exitCode = await followArchive({ ...opts, archive: opts.archive })
        return
      }
      if (opts.out === undefined && (opts.lines !== undefined || opts.since !== undefined || opts.follow === false)) {
        throw new UsageError('-n, --since and --no-follow read the archive: give its directory with --out')
      }
      process.exitCode = opts.follow === false ? await printBacklog(opts) : await followLive(opts)
    })
}
