// krelay report DIR... --out report.html: one self-contained HTML page of charts about one
// or more archives (offline/report/). The archive is read by DuckDB aggregate queries with
// bounded memory (offline/archive-db.ts: it spills to a temporary directory), so an
// archive of many GiB is never held in memory. The page is written next to --out and
// linked or renamed into place.
import fs from 'node:fs'
import path from 'node:path'
import type { Command } from 'commander'
import { z } from 'zod'
import { addWindowOptions, archiveDirs, archiveFilter, windowSchema } from './archive-options.ts'
import { CliFailure, UsageError, commanderOutput } from './errors.ts'
import { parseOptions, pathOption } from './options.ts'

export const reportSchema = z.object({
  out: pathOption('--out'),
  ...windowSchema,
  force: z.boolean().optional(),
})

export type ReportCliOptions = z.output<typeof reportSchema> & { dirs: string[] }

export function registerReport (program: Command): void {
  const cmd = program.command('report')
    .configureOutput(commanderOutput('krelay report'))
    .description('write one self-contained HTML page of charts about archives (records/s per CPU, losses, levels, types, top comms and pids, busiest seconds)')
    .argument('<dir...>', 'archive roots (krelay collect --out), one or many')
    .requiredOption('--out <file>', 'the HTML page to write')
  addWindowOptions(cmd)
  cmd.option('--force', 'replace --out if it exists')
    .action(async (dirs: string[], raw: Record<string, unknown>) => {
      const opts = { ...parseOptions(reportSchema, raw), dirs }
      const line = await runReport(opts)
      process.stdout.write(`${line}\n`)
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
  const window = archiveFilter(opts)
  const out = path.resolve(opts.out)
  if (fs.existsSync(out) && opts.force !== true) throw new UsageError(`--out ${out} exists: pass --force to replace it`)
  if (!fs.existsSync(path.dirname(out))) throw new UsageError(`--out ${out}: its directory ${path.dirname(out)} does not exist`)
  const dirs = archiveDirs(opts.dirs).map(d => path.resolve(d))
  const { openArchive } = await import('../offline/archive-db.ts')
  const { gatherReport, EmptyArchiveError } = await import('../offline/report/gather.ts')
  const { renderPage } = await import('../offline/report/page.ts')
  const hosts = window.hosts === undefined ? undefined : [...new Set(window.hosts)]
  // DuckDB with bounded memory and threads, spilling to a temporary directory (archive-db.ts)
  const db = await openArchive(dirs, { ...window, hosts })
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
