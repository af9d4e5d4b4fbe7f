// The options every command that reads archives takes (krelay query, inspect, report):
// the archive directories, --since/--until (the forms krelay tail --since takes) and
// --host (repeatable, or a comma-separated list), turned into offline/archive-db.ts's
// ArchiveFilter. Every problem is a UsageError (exit 2) naming the option or path.
import fs from 'node:fs'
import path from 'node:path'
import type { Command } from 'commander'
import { z } from 'zod'
import type { ArchiveFilter } from '../offline/archive-db.ts'
import { UsageError } from './errors.ts'
import { isValidHost, optionValue } from './options.ts'
import { parseSince, sinceOption, TIME_FORMS } from './tail/since.ts'

export const untilOption = optionValue('--until', TIME_FORMS, s => parseSince(s))

/** --host a --host b,c → [a, b, c]; each must be a host name the archive can hold. */
export const hostsOption = z.array(z.string()).transform((values, ctx): string[] => {
  const hosts = values.flatMap(v => v.split(',')).map(h => h.trim())
  const bad = hosts.find(h => !isValidHost(h))
  if (bad !== undefined) {
    ctx.issues.push({ code: 'custom', message: `--host must be host names (A-Z a-z 0-9 . _ -, starting with a letter or digit), comma-separated or repeated, got ${JSON.stringify(bad)}`, input: values })
    return z.NEVER
  }
  return hosts
})

export const windowSchema = {
  since: sinceOption.optional(),
  until: untilOption.optional(),
  host: hostsOption.optional(),
}

/** Adds --since, --until and --host to a command. */
export function addWindowOptions (cmd: Command): Command {
  return cmd
    .option('--since <time>', `only rows at or after <time>: ${TIME_FORMS}`)
    .option('--until <time>', 'only rows before <time> (same forms)')
    .option('--host <names>', 'only these host= partitions (repeat it, or a comma-separated list)', (v: string, prev?: string[]) => [...(prev ?? []), v])
}

/** The filter the options give; --since at or after --until is refused. */
export function archiveFilter (opts: { since?: bigint, until?: bigint, host?: string[] }): ArchiveFilter {
  if (opts.since !== undefined && opts.until !== undefined && opts.since >= opts.until) {
    throw new UsageError('--since must be before --until')
  }
  return { since: opts.since, until: opts.until, hosts: opts.host }
}

/** The archive directories: each must exist and hold records/ or losses/ (an archive root, krelay collect --out). */
export function archiveDirs (dirs: readonly string[]): string[] {
  if (dirs.length === 0) throw new UsageError('give at least one archive directory (krelay collect --out)')
  for (const dir of dirs) {
    let st: fs.Stats
    try {
      st = fs.statSync(dir)
    } catch {
      throw new UsageError(`archive directory ${dir} does not exist`)
    }
    if (!st.isDirectory()) throw new UsageError(`${dir} is not a directory: give an archive directory (krelay collect --out)`)
    if (!fs.existsSync(path.join(dir, 'records')) && !fs.existsSync(path.join(dir, 'losses'))) {
      const hint = /^(records|losses)$/.test(path.basename(path.resolve(dir))) ? `: give its parent, ${path.dirname(path.resolve(dir))}` : ' (not an archive, or nothing published yet)'
      throw new UsageError(`${dir} holds neither records/ nor losses/${hint}`)
    }
  }
  return [...dirs]
}
