// krelay tail: watch the kernel's records as the collector merges them, from its live
// socket (formats/LIVE.md), filtered in the collector.
import type { Command } from 'commander'
import { z } from 'zod'
import { commanderOutput } from './errors.ts'
import { oneOf, parseOptions, pathOption, positiveNumber } from './options.ts'
import { DEFAULT_LIVE_SOCKET } from '../collector/live/socket-file.ts'
import { LEVEL_NAMES } from '../formats/wire.ts'
import { commList, cpuList, grepOption, pidList, typeList } from './tail/filter-options.ts'
import { followLive } from './tail/follow.ts'
import { DEFAULT_ARCHIVE_WAIT_S, followArchive } from './tail/archive-follow.ts'

export const tailSchema = z.object({
  socket: pathOption('--socket'),
  json: z.boolean().default(false),
  time: oneOf('--time', ['utc', 'local', 'mono']),
  color: oneOf('--color', ['auto', 'always', 'never']),
  cpu: cpuList.optional(),
  level: oneOf('--level', LEVEL_NAMES).optional(),
  type: typeList.optional(),
  pid: pidList.optional(),
  comm: commList.optional(),
  grep: grepOption.optional(),
  archive: pathOption('--archive').optional(),
  archiveWait: positiveNumber('--archive-wait', 'seconds', 86400).optional(),
})

export type TailOptions = z.output<typeof tailSchema>

export function registerTail (program: Command): void {
  program.command('tail')
    .configureOutput(commanderOutput('krelay tail'))
    .description('print the kernel\'s records as the running collector merges them, until Ctrl-C or the collector stops')
    .option('--socket <path>', 'the collector\'s live socket (krelay collect --live-socket)', DEFAULT_LIVE_SOCKET)
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
    .action(async (raw: Record<string, unknown>) => {
      const opts = parseOptions(tailSchema, raw)
      if (opts.archive !== undefined) {
        process.exitCode = await followArchive({ ...opts, archive: opts.archive })
        return
      }
      process.exitCode = await followLive(opts)
    })
}
