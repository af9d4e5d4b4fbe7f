// krelay archive --from <spool>: turn a raw capture (spool segments) into the Parquet
// archive offline. What the archive already holds is skipped (state in
// <out>/.krelay-archive-state, outside the capture, which may be read-only), so running
// it again archives nothing twice.
import fs from 'node:fs'
import path from 'node:path'
import type { Command } from 'commander'
import { z } from 'zod'
import { CaptureHeaderError, decodeCaptureHeader, isCaptureHeaderCut } from '../formats/capture.ts'
import type { PipelineTotals } from '../collector/collect/pipeline.ts'
import type { ReplayResult } from '../collector/collect/replay.ts'
import { listSegments } from '../collector/spool/spool-reader.ts'
import { CliFailure, UsageError, commanderOutput } from './errors.ts'
import { defaultHostPartition, hostOption, MiB, parseOptions, pathOption, positiveNumber } from './options.ts'
import { configureDuckdbAllocator } from '../collector/archive/allocator.ts'

export const STATE_DIR_NAME = '.krelay-archive-state'

export const archiveSchema = z.object({
  from: pathOption('--from'),
  out: pathOption('--out'),
  host: hostOption().optional(),
  fileSize: positiveNumber('--file-size', 'MiB', 1024 * 1024),
})

export type ArchiveCliOptions = z.output<typeof archiveSchema>

export interface ArchiveResult {
  totals: PipelineTotals
  replay: ReplayResult
  host: string
  out: string
}

export function registerArchive (program: Command): void {
  program.command('archive')
    .configureOutput(commanderOutput('krelay archive'))
    .description('archive a raw capture (a collector\'s spool directory) to Parquet, offline')
    .requiredOption('--from <dir>', 'the capture: a spool directory of *.krcap segments (only read)')
    .requiredOption('--out <dir>', 'archive root: <out>/records/... and <out>/losses/...')
    .option('--host <name>', 'the host= partition (default: the host name stored in the capture)')
    .option('--file-size <MiB>', 'start a new Parquet file beyond this many MiB of rows', '128')
    .action(async (raw: Record<string, unknown>) => {
      const opts = parseOptions(archiveSchema, raw)
      const r = await runArchive(opts)
      process.stdout.write(`${archiveSummaryLine(r)}\n`)
    })
}

/** The host names stored in the capture's segments, in segment order, without repeats. */
export function captureHosts (segments: readonly string[]): string[] {
  const hosts: string[] = []
  for (const file of segments) {
    const fd = fs.openSync(file, 'r')
    try {
      const head = Buffer.alloc(4096)
      const n = fs.readSync(fd, head, 0, head.length, 0)
      if (isCaptureHeaderCut(head.subarray(0, n))) continue // holds nothing (readSegment)
      const { meta } = decodeCaptureHeader(head.subarray(0, n), file)
      if (!hosts.includes(meta.host)) hosts.push(meta.host)
    } catch (err) {
      if (!(err instanceof CaptureHeaderError)) throw err // the replay skips it, and says so
    } finally {
      fs.closeSync(fd)
    }
  }
  return hosts
}

/** `log` gets a line for each damaged span or segment skipped (default: stderr). */
export async function runArchive (opts: ArchiveCliOptions, log = (line: string): void => { process.stderr.write(`krelay archive: ${line}\n`) }): Promise<ArchiveResult> {
  const from = path.resolve(opts.from)
  const out = path.resolve(opts.out)
  let stat: fs.Stats
  try {
    stat = fs.statSync(from)
  } catch {
    throw new CliFailure(`--from ${from} does not exist`)
  }
  if (!stat.isDirectory()) throw new CliFailure(`--from ${from} is not a directory (give the spool directory that holds the *.krcap segments)`)
  const segments = listSegments(from)
  if (segments.length === 0) throw new CliFailure(`--from ${from} holds no capture segments (*.krcap): is it a krelay spool directory?`)
  const rel = path.relative(from, out)
  if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) throw new UsageError(`--out ${out} must not be inside the capture --from ${from}`)
  let host = opts.host
  if (host === undefined) {
    const hosts = captureHosts(segments)
    if (hosts.length === 0) throw new CliFailure(`no segment in --from ${from} has a whole, good header: nothing to archive`)
    if (hosts.length > 1) throw new UsageError(`the capture holds segments of several hosts (${hosts.join(', ')}): archive them separately with --host NAME`)
    host = defaultHostPartition(hosts[0]!, 'the capture\'s')
  }
  configureDuckdbAllocator() // before DuckDB loads, as the collector does (allocator.ts)
  const { Pipeline } = await import('../collector/collect/pipeline.ts')
  const { replaySpool } = await import('../collector/collect/replay.ts')
  const pipeline = await Pipeline.open({ out, host, maxFileBytes: Math.round(opts.fileSize * MiB) }, path.join(out, STATE_DIR_NAME))
  let replay: ReplayResult
  try {
    replay = await replaySpool(from, pipeline, log)
  } catch (err) {
    // publish what was read before the problem: it is complete, and a re-run skips it
    await pipeline.close().catch(() => undefined)
    throw err
  }
  await pipeline.close()
  return { totals: pipeline.totals, replay, host, out }
}

export function archiveSummaryLine (r: ArchiveResult): string {
  const t = r.totals
  const skipped = t.skipped > 0 ? ` (${t.skipped} already archived skipped)` : ''
  const torn = r.replay.tornBytes > 0 ? `; ${r.replay.tornBytes} bytes at segment ends held no whole sub-buffer (a write cut short)` : ''
  const cut = r.replay.cutSegments.length > 0 ? `; ${r.replay.cutSegments.length} segments skipped: a crash cut their header short, so they held nothing` : ''
  const damaged = r.replay.damagedSpans + r.replay.damagedSegments.length > 0
    ? `; damage skipped: ${r.replay.damagedSpans} spans in segments, ${r.replay.damagedSegments.length} segments with a bad header (logged above; their records are in corrupt loss rows)`
    : ''
  return `krelay archive: ${t.records} records archived${skipped}, ${t.lostRecords} records lost in ${t.losses} loss rows, ` +
    `${t.files} files in ${r.out} (host ${r.host}), from ${r.replay.segments.length} segments, ${r.replay.subbufs} sub-buffers${torn}${cut}${damaged}`
}
