// krelay tail --archive DIR: follows an archive directory instead of a collector, for
// example one that many hosts publish into. First the last N records already published
// (like `tail -f`), then each file as it is published, the hosts merged by
// (ts, host, cpu, seq) (host-merge.ts). Rows become wire records again (archive-row.ts)
// and go through the live filter and the live line formatters, so a record prints exactly
// as `krelay tail` prints it from the collector.
import fs from 'node:fs'
import { LiveFilter } from '../../collector/live/filter.ts'
import { CliFailure, EXIT_OK } from '../errors.ts'
import type { TailOptions } from '../tail.ts'
import { watchArchive, type PublishedFile } from './archive-files.ts'
import { ArchiveReader } from './archive-read.ts'
import { lossRowOf, WireRecord, type LossTuple, type RecordTuple } from './archive-row.ts'
import { useColor } from './color.ts'
import { HostMerge, compareItems, type MergeItem } from './host-merge.ts'
import { lossJson, recordJson } from './json.ts'
import { lossLine, recordLine, type ChannelInfo, type LineOptions } from './lines.ts'

/**
 * How long an idle host holds the others back by default, in seconds: a few more than the
 * collector's default file age (60 s, `krelay collect --file-age`), after which a host
 * that has records has published them.
 */
export const DEFAULT_ARCHIVE_WAIT_S = 70
/** Records printed before following, as `tail` does, unless -n says otherwise. */
export const DEFAULT_LINES = 10

export type ArchiveTailOptions = TailOptions & { archive: string, archiveWait?: number, lines?: number }

/** Turns the rows of published files into lines to print, in the reader's order. */
class FileLines {
  private readonly wire = new WireRecord()
  private readonly filter: LiveFilter
  private readonly channels = new Map<string, ChannelInfo>()
  private readonly lineOpts: LineOptions

  constructor (private readonly opts: ArchiveTailOptions, color: boolean) {
    this.lineOpts = { time: opts.time, color }
    this.filter = new LiveFilter({ cpu: opts.cpu, level: opts.level, type: opts.type, pid: opts.pid, comm: opts.comm, grep: opts.grep })
  }

  /** The line of a records row, or null when the filter rejects it. */
  record (host: string, row: RecordTuple): MergeItem | null {
    const [ts, mono, cpu, seq] = row
    const ch = this.channel(row[11], ts - mono)
    this.wire.write(row)
    const view = this.wire.view
    if (!this.filter.accepts(view, 0, cpu)) return null
    const line = this.opts.json ? recordJson(view, 0, cpu, ch) : recordLine(view, 0, cpu, ch, this.lineOpts)
    return { ts, host, cpu, seq: Number(seq), line }
  }

  /** The line of a losses row (only --cpu applies to losses, as in live mode), or null. */
  loss (host: string, row: LossTuple): MergeItem | null {
    const cpu = row[2]
    if (!this.filter.wantsCpu(cpu)) return null
    // the archive keeps a loss's times in UTC only: the channel's offset comes from its records
    const ch = this.channels.get(row[6]) ?? { channelId: row[6], monoToRealtimeNs: 0n }
    const offset = row[0] >= ch.monoToRealtimeNs && row[1] >= ch.monoToRealtimeNs ? ch.monoToRealtimeNs : 0n
    const loss = lossRowOf(row, offset)
    const at = offset === ch.monoToRealtimeNs ? ch : { channelId: ch.channelId, monoToRealtimeNs: offset }
    const line = this.opts.json ? lossJson(loss, at) : lossLine(loss, at, this.lineOpts)
    return { ts: row[0], host, cpu, seq: loss.firstSeq, line }
  }

  private channel (id: string, offset: bigint): ChannelInfo {
    let ch = this.channels.get(id)
    if (ch === undefined || ch.monoToRealtimeNs !== offset) {
      ch = { channelId: id, monoToRealtimeNs: offset }
      this.channels.set(id, ch)
    }
    return ch
  }
}

/** Resolves with the exit status on Ctrl-C; rejects with a CliFailure. */
export async function followArchive (opts: ArchiveTailOptions, out: NodeJS.WriteStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  if (!fs.existsSync(opts.archive) || !fs.statSync(opts.archive).isDirectory()) throw new CliFailure(`${opts.archive}: no such archive directory`)
  const lines = new FileLines(opts, useColor(opts.color, out.isTTY === true, process.env))
  const merge = new HostMerge((opts.archiveWait ?? DEFAULT_ARCHIVE_WAIT_S) * 1000)
  const reader = await ArchiveReader.open()
  const queue: PublishedFile[] = []
  let ended = false
  // files published while the last N are read wait for them (one DuckDB connection, one order)
  let started = false
  let failed: ((e: CliFailure) => void) | undefined

  const write = async (items: readonly MergeItem[]): Promise<void> => {
    if (items.length === 0 || ended) return
    if (!out.write(items.map(i => i.line).join('\n') + '\n')) await new Promise(resolve => out.once('drain', resolve))
  }
  // a closed pipe (krelay tail | head): the reader has what it wanted
  out.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(EXIT_OK)
    failed?.(new CliFailure(`writing to stdout: ${e.message}`))
  })

  /** Reads a file into the merge a chunk at a time, printing what each chunk lets through. */
  const readInto = async (f: PublishedFile): Promise<void> => {
    // a compaction's output repeats rows published before; its inputs may be gone by now
    if (!fs.existsSync(f.path) || await reader.compacted(f.path)) return
    let items: MergeItem[] = []
    let last = -1n
    const chunk = async (): Promise<void> => {
      merge.addFile(f.host, items, last, Date.now())
      items = []
      await write(merge.release(Date.now()))
    }
    if (f.dataset === 'records') {
      await reader.records(f.path, row => {
        if (row[0] > last) last = row[0]
        const item = lines.record(f.host, row)
        if (item !== null) items.push(item)
      }, chunk)
    } else {
      await reader.losses(f.path, row => {
        if (row[0] > last) last = row[0]
        const item = lines.loss(f.host, row)
        if (item !== null) items.push(item)
      }, chunk)
    }
  }

  let pumping: Promise<void> | undefined
  const pump = (): void => {
    if (pumping !== undefined || ended || !started) return
    pumping = (async () => {
      while (queue.length > 0) {
        if (ended) return
        // the earliest name first: two files of a host reported together are read in time order
        queue.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
        await readInto(queue.shift()!)
      }
    })().catch((e: unknown) => failed?.(new CliFailure(`reading the archive: ${(e as Error).message}`)))
      .finally(() => {
        pumping = undefined
        if (queue.length > 0) pump()
      })
  }

  const watcher = watchArchive(opts.archive, f => { queue.push(f); pump() }, e => failed?.(new CliFailure(`watching ${opts.archive}: ${e.message}`)))
  const initial = await watcher.ready
  const hosts = [...new Set(initial.map(f => f.host))].sort()
  err.write(`krelay tail: following archive ${opts.archive}${hosts.length > 0 ? ` (hosts ${hosts.join(', ')})` : ' (nothing published yet)'}\n`)
  await write(await lastRecords(initial, opts.lines ?? DEFAULT_LINES, reader, lines, merge))
  started = true

  return await new Promise<number>((resolve, reject) => {
    const tick = setInterval(() => { if (pumping === undefined) write(merge.release(Date.now())).catch(() => {}) }, 500)
    const stop = async (): Promise<void> => {
      ended = true
      clearInterval(tick)
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      await watcher.close()
      await pumping
      reader.dispose()
    }
    const onSignal = (): void => { if (!ended) stop().then(() => resolve(EXIT_OK), reject) }
    failed = e => { if (!ended) stop().then(() => reject(e), reject) }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    pump()
  })
}

/**
 * The last `n` records already published (with the losses among them), in merged order;
 * tells the merge where each host stands. Reads each host's files from the newest back,
 * only as many as it takes.
 */
async function lastRecords (files: readonly PublishedFile[], n: number, reader: ArchiveReader, lines: FileLines, merge: HostMerge): Promise<MergeItem[]> {
  const none = async (): Promise<void> => {}
  let kept: MergeItem[] = []
  const byHost = new Map<string, PublishedFile[]>()
  for (const f of files) byHost.set(f.host, [...byHost.get(f.host) ?? [], f])
  for (const [host, own] of byHost) {
    let watermark = 0n
    let at = 0
    for (const dataset of ['records', 'losses'] as const) {
      const newest = own.filter(f => f.dataset === dataset).at(-1)
      if (newest === undefined) continue
      const last = await reader.lastTs(newest.path, dataset)
      if (last > watermark) watermark = last
      at = Math.max(at, fs.statSync(newest.path).mtimeMs)
    }
    merge.addFile(host, [], watermark, at)
    // the host's last n records: files (sorted by time) from the newest back
    const records = own.filter(f => f.dataset === 'records')
    let mine: MergeItem[] = []
    for (let i = records.length - 1; i >= 0 && mine.length < n; i--) {
      const fileItems: MergeItem[] = []
      await reader.records(records[i]!.path, row => {
        const item = lines.record(host, row)
        if (item === null) return
        fileItems.push(item)
        if (fileItems.length > 2 * n) fileItems.splice(0, fileItems.length - n)
      }, none)
      mine = [...fileItems.slice(-n), ...mine]
    }
    kept.push(...mine)
  }
  kept.sort(compareItems)
  kept = n > 0 ? kept.slice(-n) : []
  if (kept.length === 0) return []
  const from = kept[0]!.ts
  // the losses at or after the first of those records
  for (const f of files) {
    if (f.dataset !== 'losses' || await reader.lastTs(f.path, 'losses') < from) continue
    await reader.losses(f.path, row => {
      const item = row[0] >= from ? lines.loss(f.host, row) : null
      if (item !== null) kept.push(item)
    }, none)
  }
  return kept.sort(compareItems)
}
