// From complete sub-buffers to Parquet: skips what the archive already holds
// (replay after a crash), merges the CPU streams, turns losses into loss rows, hands
// both to its consumers (the archive, live subscribers), and queues the archive's
// publishes (publish-queue.ts). The live collector and `krelay archive --from` both feed it.
import { Merge, type MergeStats, type ReleaseMode } from '../merge/merge.ts'
import { openArchive, removePartialFiles, StagingFullError, type Archive, type LossRow, type Published, type WriterOptions } from '../archive/index.ts'
import { diskFullCode, type DiskFullWait } from '../disk-full.ts'
import { Ledger } from './ledger.ts'
import type { CompleteSubbuf, CpuWatermark } from '../source/reader-options.ts'
import { ArchiveConsumer } from './archive-consumer.ts'
import type { ChannelMeta, Consumer } from './consumer.ts'
import { createLossRow, fillLossRow, fillReloadRow, lastLostSeq, type LastRecord } from './loss-row.ts'
import { recordLen, recordSeq, recordTsHi, recordTsLo } from '../../formats/record.ts'
import type { ReleasedKey } from '../../formats/live.ts'
import path from 'node:path'
import { PublishQueue } from './publish-queue.ts'
import type { PublishFigures } from './status-file.ts'

/**
 * Records the merge releases between two turns of the event loop. A round can release
 * millions (a burst, a replay): between slices the files sealed meanwhile are started
 * and the publish under way gets on (DuckDB copies on its own threads), so writing a
 * file overlaps staging the next instead of following it.
 */
const RELEASE_SLICE = 32_768

/** One complete sub-buffer whose bytes the pipeline may keep (not a view of the mapping). */
export type SubbufInput = Pick<CompleteSubbuf, 'cpu' | 'view' | 'recordsStart' | 'recordsEnd' | 'losses' | 'header'>

export interface PipelineTotals {
  records: number
  losses: number
  lostRecords: number
  /** records skipped because the archive already held them (replay) */
  skipped: number
  files: number
}

/** Per CPU: the last record queued, and the last seq covered by a loss row appended. */
interface CpuPosition extends LastRecord { lossSeq: number }

export class Pipeline {
  readonly totals: PipelineTotals = { records: 0, losses: 0, lostRecords: 0, skipped: 0, files: 0 }
  /** hears every loss row appended (the collector's log) */
  onLoss: ((row: LossRow) => void) | undefined
  /**
   * hears, once per channel, that the merge released records out of (ts, cpu, seq) order
   * (a record arrived below a CPU's watermark, or memory forced a release): live subscribers
   * got them so (the collector's log; the archive sorts each file)
   */
  onDisorder: ((channelId: string, stats: MergeStats) => void) | undefined
  /** onDisorder was called for the current channel */
  private disorderTold = false
  private channel: ChannelMeta | undefined
  private merge: Merge
  private positions = new Map<number, CpuPosition>()
  /** the archive first, then live subscribers; replaced (never changed in place) when one joins or leaves */
  private consumers: readonly Consumer[]
  private readonly loss: LossRow = createLossRow()
  private readonly publishes: PublishQueue

  private constructor (private readonly archive: Archive, readonly state: Ledger, private readonly full: DiskFullWait | undefined) {
    this.consumers = [new ArchiveConsumer(archive)]
    this.merge = this.newMerge()
    this.publishes = new PublishQueue(archive, state, full, this.totals)
  }

  /**
   * `full`: wait out a full disk (the collector: the spool keeps the rows meanwhile); without
   * it a full disk fails the publish, as any other write error (`krelay archive`).
   */
  static async open (opts: Omit<WriterOptions, 'instance'>, stateDir: string, full?: DiskFullWait): Promise<Pipeline> {
    const state = Ledger.load(stateDir)
    for (const dataset of ['records', 'losses']) await removePartialFiles(path.join(opts.out, dataset, `host=${opts.host}`))
    const archive = await openArchive(opts, {
      afterCopy: (_partial, final, p) => state.begin(final, p.dataset, [...p.maxSeq]),
    })
    return new Pipeline(archive, state, full)
  }

  /** New archive file limits (a SIGHUP reload), for both datasets, from the next row on. */
  setFileLimits (maxFileBytes: number, maxAgeSeconds: number): void {
    this.archive.records.setLimits(maxFileBytes, maxAgeSeconds)
    this.archive.losses.setLimits(maxFileBytes, maxAgeSeconds)
  }

  /** every file published, in order */
  get published (): readonly Published[] {
    return this.publishes.published
  }

  /** bytes of the files published and when the last one was (status.json's archive.bytes, archive.last_publish_at) */
  get publishFigures (): PublishFigures {
    return this.publishes.figures
  }

  /** hears every file published, as it is (the collector's compactor and log) */
  get onPublished (): PublishQueue['onPublished'] {
    return this.publishes.onPublished
  }

  set onPublished (fn: PublishQueue['onPublished']) {
    this.publishes.onPublished = fn
  }

  get mergeStats (): MergeStats {
    return this.merge.stats
  }

  /** `c` gets what the merge releases from now on (after the archive), and the current channel if there is one. */
  addConsumer (c: Consumer): void {
    if (this.channel !== undefined) {
      // the highest record released in this channel: where a live subscriber's history ends (LIVE.md)
      const released: ReleasedKey = { tsHi: 0, tsLo: 0, cpu: 0, seq: 0 }
      c.channel(this.channel, this.merge.highestEmitted(released) ? released : undefined)
    }
    this.consumers = [...this.consumers, c]
  }

  removeConsumer (c: Consumer): void {
    this.consumers = this.consumers.filter(x => x !== c)
  }

  /** Rows of `channel` follow. A different channel first empties the merge of the previous one. */
  async startChannel (channel: ChannelMeta, cpus: Iterable<number>): Promise<void> {
    if (this.channel?.channelId !== channel.channelId) {
      await this.finishChannel()
      this.channel = channel
      for (const c of this.consumers) c.channel(channel)
      this.merge = this.newMerge()
      this.positions = new Map()
      this.disorderTold = false
    }
    for (const cpu of cpus) this.cpu(cpu)
  }

  /** Queues one sub-buffer's records (those the archive does not hold yet) and its losses. */
  addSubbuf (sub: SubbufInput): void {
    const channelId = this.requireChannel()
    const pos = this.cpu(sub.cpu)
    for (const loss of sub.losses) this.appendLoss(channelId, pos, fillLossRow(this.loss, loss, sub.header, pos))
    const view = sub.view
    let off = sub.recordsStart
    while (off < sub.recordsEnd && recordSeq(view, off) <= pos.seq) {
      off += recordLen(view, off)
      this.totals.skipped++
    }
    if (off < sub.recordsEnd) {
      let last = off
      for (let o = off; o < sub.recordsEnd; o += recordLen(view, o)) last = o
      pos.seq = recordSeq(view, last)
      pos.tsLo = recordTsLo(view, last)
      pos.tsHi = recordTsHi(view, last)
      this.merge.push(sub.cpu, view, off, sub.recordsEnd)
    }
    this.merge.setWatermark(sub.cpu, sub.header.watermarkHi, sub.header.watermarkLo)
  }

  /**
   * The watermarks of a reader pass: emits what they release. Resolves once all of it is
   * staged, publishing first when the archive has no room (backpressure on the reader).
   */
  async round (watermarks: readonly CpuWatermark[]): Promise<void> {
    for (const w of watermarks) {
      this.cpu(w.cpu)
      this.merge.setWatermark(w.cpu, w.hi, w.lo)
    }
    await this.release('watermark')
  }

  /** Emits everything of the current channel (it ended, or the collector stops). */
  async finishChannel (): Promise<void> {
    if (this.channel !== undefined) await this.release('all')
  }

  /**
   * The module went away: one `reload` row per CPU marks where the channel's stream ended,
   * from its last record to now (Node's hrtime is CLOCK_MONOTONIC, the kernel's clock).
   */
  reloaded (): void {
    const channelId = this.requireChannel()
    const now = process.hrtime.bigint()
    const nowHi = Number(now >> 32n)
    const nowLo = Number(now & 0xffffffffn)
    for (const [cpu, pos] of this.positions) this.appendLoss(channelId, pos, fillReloadRow(this.loss, cpu, pos, nowHi, nowLo))
    this.released(true)
  }

  /** Starts publishing what is due, unless nothing is; never waits for it. */
  publishDue (): void {
    this.publishes.due()
  }

  /** Publishes everything staged now and waits for it (the collector's spool is over its budget). */
  async publishStaged (): Promise<void> {
    this.publishes.all()
    await this.publishes.settled()
  }

  /** Waits for the publish under way, if any. */
  async settled (): Promise<void> {
    await this.publishes.settled()
  }

  /** No loss row is waiting to be published. */
  get lossesPublished (): boolean {
    return this.archive.losses.stagedRows === 0
  }

  /** Publishes everything and closes the archive. */
  async close (): Promise<void> {
    await this.finishChannel()
    await this.publishes.close()
  }

  /**
   * Releases from the merge, in slices (RELEASE_SLICE); when the archive refuses a row for
   * lack of room, the merge keeps that row, everything staged is published, and the
   * release goes on.
   */
  private async release (mode: ReleaseMode): Promise<void> {
    for (;;) {
      try {
        while (this.merge.release(mode, RELEASE_SLICE) >= RELEASE_SLICE) {
          this.released(false)
          this.publishes.sealed()
          await new Promise(resolve => setImmediate(resolve))
        }
        this.released(mode === 'all')
        this.publishes.sealed()
        this.tellDisorder()
        return
      } catch (err) {
        // a full disk while staging: publishing what is staged frees the staging files (it
        // waits for room itself); the row the archive refused stays in the merge
        if (!(err instanceof StagingFullError) && (this.full === undefined || diskFullCode(err) === undefined)) throw err
      }
      await this.publishStaged()
    }
  }

  private tellDisorder (): void {
    const stats = this.merge.stats
    if (this.disorderTold || (stats.late === 0 && stats.forced === 0) || this.channel === undefined) return
    this.disorderTold = true
    this.onDisorder?.(this.channel.channelId, stats)
  }

  private newMerge (): Merge {
    return new Merge((view, off, cpu) => {
      const consumers = this.consumers
      for (let i = 0; i < consumers.length; i++) consumers[i]!.record(view, off, cpu)
      this.totals.records++
    })
  }

  private released (all: boolean): void {
    for (const c of this.consumers) c.released(all)
  }

  /** Appends a filled loss row unless the archive holds it already (replay) or it repeats. */
  private appendLoss (channelId: string, pos: CpuPosition, row: LossRow): void {
    const last = lastLostSeq(row)
    if (last <= Math.max(pos.lossSeq, this.state.durableSeq('losses', channelId, row.cpu))) return
    pos.lossSeq = last
    for (const c of this.consumers) c.loss(row)
    this.onLoss?.(row)
    this.totals.losses++
    this.totals.lostRecords += row.count
  }

  private cpu (cpu: number): CpuPosition {
    let pos = this.positions.get(cpu)
    if (pos === undefined) {
      const durable = this.channel === undefined ? 0 : this.state.durableSeq('records', this.channel.channelId, cpu)
      pos = { seq: durable, tsHi: 0, tsLo: 0, lossSeq: 0 }
      this.positions.set(cpu, pos)
      this.merge.addCpu(cpu)
    }
    return pos
  }

  private requireChannel (): string {
    if (this.channel === undefined) throw new Error('pipeline: no channel started')
    return this.channel.channelId
  }
}
