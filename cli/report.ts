// krelay report DIR... --out report.html: one self-contained HTML page of charts about one
// or more archives (offline/report/). The archive is read by DuckDB aggregate queries with
// bounded memory (offline/archive-db.ts: it spills to a temporary directory), so an
// archive of many GiB is never held in memory. The page is written next to --out and
// linked or renamed into place.
import fs from 'node:fs'
import path from 'node:path'
import type { Command } from 'commander'
import { z } from 'zod'
import { CliFailure, UsageError, commanderOutput } from './errors.ts'
import { hostOption, optionValue, parseOptions, pathOption } from './options.ts'
import { parseSince } from './tail/since.ts'

const TIME_RULE = 'an ISO 8601 time with its zone (2026-11-30T06:00:00Z) or -Ns, -Nmin, -Nh'

export const reportSchema = z.object({
  out: pathOption('--out'),
  since: optionValue('--since', TIME_RULE, s => parseSince(s)).optional(),
  until: optionValue('--until', TIME_RULE, s => parseSince(s)).optional(),
  host: z.array(hostOption()).optional(),
  force: z.boolean().optional(),
})

export type ReportCliOptions = z.output<typeof reportSchema> & { dirs: string[] }

export function registerReport (program: Command): void {
  program.command('report')
    .configureOutput(commanderOutput('krelay report'))
    .description('write one self-contained HTML page of charts about archives (records/s per CPU, losses, levels, types, top comms and pids, busiest seconds)')
    .argument('<dir...>', 'archive roots (krelay collect --out), one or many')
    .requiredOption('--out <file>', 'the HTML page to write')
    .option('--since <time>', `only records at or after <time>: ${TIME_RULE}`)
    .option('--until <time>', 'only records before <time> (same forms)')
    .option('--host <names>', 'only these hosts (comma-separated; may be repeated)', (v: string, prev: string[] = []) => [...prev, ...v.split(',')])
    .option('--force', 'replace --out if it exists')
    .action(async (dirs: string[], raw: Record<string, unknown>) => {
      const opts = { ...parseOptions(reportSchema, raw), dirs }
      const line = await runReport(opts)
      process.stdout.write(`${line}\n`)
    })
}

function checkDirs (dirs: readonly string[]): string[] {
  return dirs.map(d => {
    let stat: fs.Stats
    try {
      stat = fs.statSync(d)
    } catch {
      throw new CliFailure(`${d} does not exist`)
    }
    if (!stat.isDirectory()) throw new CliFailure(`${d} is not a directory (give an archive root: the --out of krelay collect)`)
    if (!fs.existsSync(path.join(d, 'records')) && !fs.existsSync(path.join(d, 'losses'))) {
      throw new CliFailure(`${d} is not a krelay archive: it has neither records/ nor losses/`)
    }
    return path.resolve(d)
  })
}

/** Writes `text` to `out` atomically: a temporary file beside it, then link (no --force: never replaces) or rename. */
export function writeAtomically (out: string, text: string, force: boolean): void {
  const dir = path.dirname(out)
  const tmp = path.join(dir, `.${path.basename(out)}.${process.pid}.tmp`)
  const fd = fs.openSync(tmp, 'wx', 0o644)
  try {
    fs.writeSync(fd, text)
    fs.fsyncSync(fd)
    fs.closeSync(fd)
    if (force) {
      fs.renameSync(tmp, out)
    } else {
      try {
        fs.linkSync(tmp, out)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`--out ${out} exists: pass --force to replace it`)
        throw err
      }
    }
  } finally {
    fs.rmSync(tmp, { force: true })
  }
  const dfd = fs.openSync(dir, 'r')
  try { fs.fsyncSync(dfd) } finally { fs.closeSync(dfd) }
}

export async function runReport (opts: ReportCliOptions): Promise<string> {
  const t0 = performance.now()
  if (opts.since !== undefined && opts.until !== undefined && opts.since >= opts.until) {
    throw new UsageError('--until must be after --since')
  }
  const out = path.resolve(opts.out)
  if (fs.existsSync(out) && opts.force !== true) throw new UsageError(`--out ${out} exists: pass --force to replace it`)
  if (!fs.existsSync(path.dirname(out))) throw new UsageError(`--out ${out}: its directory ${path.dirname(out)} does not exist`)
  const dirs = checkDirs(opts.dirs)
  const { openArchive } = await import('../offline/archive-db.ts')
  const { gatherReport, EmptyArchiveError } = await import('../offline/report/gather.ts')
  const { renderPage } = await import('../offline/report/page.ts')
  const hosts = opts.host === undefined ? undefined : [...new Set(opts.host)]
  // DuckDB with bounded memory and threads, spilling to a temporary directory (archive-db.ts)
  const db = await openArchive(dirs, { since: opts.since, until: opts.until, hosts })
  let html: string
  let data: Awaited<ReturnType<typeof gatherReport>>
  try {
    data = await gatherReport(db.conn, { dirs: opts.dirs, since: opts.since, until: opts.until, hosts })
    html = renderPage(data)
  } catch (err) {
    if (err instanceof EmptyArchiveError) throw new CliFailure(`nothing to report: no records and no losses in ${opts.dirs.join(' ')}${hosts !== undefined || opts.since !== undefined || opts.until !== undefined ? ' for --since/--until/--host' : ''}`)
    throw err
  } finally {
    db.close()
  }
  writeAtomically(out, html, opts.force === true)
  const t = data.totals
  const secs = ((performance.now() - t0) / 1000).toFixed(1)
  return `krelay report: wrote ${opts.out} (${Math.ceil(Buffer.byteLength(html) / 1024)} KiB, ${secs} s): ${t.records} records, ` +
    `${t.lostRecords} lost in ${t.lossRows} loss rows, ${data.hosts.length === 1 ? 'host' : 'hosts'} ${data.hosts.join(', ')}`
}
