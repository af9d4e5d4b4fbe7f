// krelay compact DIR: rewrite every closed host-hour of an archive as one sorted file (or
// a few, beyond --file-size), atomically (collector/archive/compact.ts). A run killed
// midway is finished or rolled back by the next run, hour by hour. The collector does
// the same by itself (krelay collect --no-compact turns it off); this is for archives no
// collector compacts: written with --no-compact, by `krelay archive`, or copied from others.
import fs from 'node:fs'
import path from 'node:path'
import type { Command } from 'commander'
import { z } from 'zod'
import type { HourDir } from '../collector/archive/compact-archive.ts'
import { DEFAULT_COMPACT_FILE_BYTES, DEFAULT_COMPACT_GRACE_MS, DEFAULT_COMPACT_ROW_GROUP_SIZE, DEFAULT_COMPACT_ZSTD_LEVEL } from '../collector/archive/compact.ts'
import { hourPartition } from '../collector/archive/time.ts'
import { addWindowOptions, archiveDirs, archiveFilter, windowSchema } from './archive-options.ts'
import { CliFailure, commanderOutput } from './errors.ts'
import { integer, MiB, parseOptions, positiveNumber } from './options.ts'

/**
 * Without --all-hours, files younger than this are left for a later run: a collector
 * replaying its spool may have just published one into a closed hour, and until its
 * ledger has settled that file (within moments) replacing it could archive its rows twice.
 */
export const MIN_FILE_AGE_MS = 60_000

/** The defaults of the options below, as given on the command line. */
export const COMPACT_DEFAULTS = {
  grace: String(DEFAULT_COMPACT_GRACE_MS / 60_000),
  fileSize: String(DEFAULT_COMPACT_FILE_BYTES / MiB),
  zstdLevel: String(DEFAULT_COMPACT_ZSTD_LEVEL),
  rowGroupSize: String(DEFAULT_COMPACT_ROW_GROUP_SIZE),
} as const

export const compactSchema = z.object({
  ...windowSchema,
  allHours: z.boolean().default(false),
  grace: positiveNumber('--grace', 'minutes', 24 * 60),
  fileSize: positiveNumber('--file-size', 'MiB', 1024 * 1024),
  zstdLevel: integer('--zstd-level', 1, 22),
  rowGroupSize: integer('--row-group-size', 2048, 10_000_000, 'a number of rows from 2048 to 10000000'),
})

export type CompactCliOptions = z.output<typeof compactSchema>

export function registerCompact (program: Command): void {
  const cmd = program.command('compact')
    .configureOutput(commanderOutput('krelay compact'))
    .description('rewrite each closed hour of an archive as one sorted file per host and dataset (a few beyond --file-size), atomically')
    .argument('<dir>', 'the archive: the directory holding records/ and losses/')
  addWindowOptions(cmd)
  cmd.option('--all-hours', 'also the hours not closed yet (the current one): for an archive no collector writes to any more')
    .option('--grace <minutes>', 'an hour is closed this long after its end', COMPACT_DEFAULTS.grace)
    .option('--file-size <MiB>', 'cut an hour into several files beyond this many MiB of input', COMPACT_DEFAULTS.fileSize)
    .option('--zstd-level <n>', 'zstd level of the compacted files', COMPACT_DEFAULTS.zstdLevel)
    .option('--row-group-size <rows>', 'Parquet row group size of the compacted files', COMPACT_DEFAULTS.rowGroupSize)
    .action(async (dir: string, raw: Record<string, unknown>) => {
      const opts = parseOptions(compactSchema, raw)
      const r = await runCompact(dir, opts, line => process.stdout.write(`${line}\n`))
      process.stdout.write(`${r.line}\n`)
      if (r.failed > 0) throw new CliFailure(`${r.failed} hours could not be compacted (see above): their files are as they were`)
    })
}

export interface CompactRun {
  compacted: number
  failed: number
  line: string
}

/** Compacts the archive `dir`; `print` gets a line per hour that was worked on. */
export async function runCompact (dir: string, opts: CompactCliOptions, print: (line: string) => void, nowMs = Date.now()): Promise<CompactRun> {
  const out = path.resolve(archiveDirs([dir])[0]!)
  const window = archiveFilter(opts)
  const { listHourDirs, isClosed, compactHours } = await import('../collector/archive/compact-archive.ts')
  const { DuckDBInstance } = await import('@duckdb/node-api')
  const all = await listHourDirs(out, window)
  const graceMs = opts.grace * 60_000
  const hours = opts.allHours ? all : all.filter(h => isClosed(h.hour, nowMs, graceMs))
  const t = { compacted: 0, filesIn: 0, filesOut: 0, rows: 0, bytesIn: 0, bytesOut: 0, already: 0, refused: 0, failed: 0, busy: 0, recovered: 0 }
  const instance = await DuckDBInstance.create(':memory:', { enable_external_file_cache: 'false' })
  const started = performance.now()
  try {
    const conn = await instance.connect()
    const young = (file: string): boolean => fs.statSync(file).mtimeMs > nowMs - MIN_FILE_AGE_MS
    const copts = {
      maxFileBytes: Math.round(opts.fileSize * MiB),
      zstdLevel: opts.zstdLevel,
      rowGroupSize: opts.rowGroupSize,
      exclude: opts.allHours ? undefined : young,
    }
    await compactHours(conn, hours, copts, (h, r) => {
      if (r.recovered !== 'none') { t.recovered++; print(`${hourLabel(h)}: a compaction cut short was ${r.recovered}`) }
      switch (r.action) {
        case 'compacted':
          t.compacted++; t.filesIn += r.filesIn; t.filesOut += r.filesOut; t.rows += r.rows; t.bytesIn += r.bytesIn; t.bytesOut += r.bytesOut
          print(`${hourLabel(h)}: ${r.filesIn} files -> ${r.filesOut}, ${r.rows} rows${r.sorted ? ' (sorted)' : ''}, ${size(r.bytesIn)} -> ${size(r.bytesOut)}`)
          break
        case 'skipped': if (r.reason === 'compacted already') t.already++; break
        case 'refused': t.refused++; print(`${hourLabel(h)}: left as it is: ${r.reason}`); break
        case 'failed': t.failed++; print(`${hourLabel(h)}: not compacted: ${r.reason}`); break
        case 'busy': t.busy++; print(`${hourLabel(h)}: skipped: ${r.reason}`); break
      }
    })
  } finally {
    instance.closeSync()
  }
  const secs = (performance.now() - started) / 1000
  const open = all.length - hours.length
  const rest = [
    t.already > 0 ? `${t.already} compacted already` : '',
    t.refused > 0 ? `${t.refused} left as they were` : '',
    t.busy > 0 ? `${t.busy} busy` : '',
    t.failed > 0 ? `${t.failed} failed` : '',
    open > 0 ? `${open} not closed yet (--all-hours takes them too)` : '',
  ].filter(s => s !== '')
  const line = `krelay compact: ${t.compacted} hours compacted, ${t.filesIn} files -> ${t.filesOut}, ${t.rows} rows, ` +
    `${size(t.bytesIn)} -> ${size(t.bytesOut)} in ${secs.toFixed(1)} s` + (rest.length > 0 ? `; ${rest.join(', ')}` : '')
  return { compacted: t.compacted, failed: t.failed, line }
}

function hourLabel (h: HourDir): string {
  const p = hourPartition(h.hour)
  return `${h.dataset} host=${h.host} ${p.date} ${p.hour}h`
}

function size (bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / MiB).toFixed(1)} MiB`
}
