// The archive worker's side of the spool: feeds the pipeline what capture appended,
// in the order capture tells it (messages.ts), and deletes every closed segment whose
// records are all in final Parquet files. The segments found at start are fed first,
// by the same code (SpoolFeeder): replay after a crash is following a spool that
// happens to be written already.
import fs from 'node:fs'
import type { Pipeline } from './pipeline.ts'
import type { ToWorker } from './messages.ts'
import { SpoolFeeder, type FedSegment } from './spool-feeder.ts'

export class SpoolFollower {
  /** sub-buffers fed from the segments found at start */
  replayedSubbufs = 0
  private readonly feeder: SpoolFeeder
  /** closed segments not deleted yet */
  private readonly closed: FedSegment[] = []
  private open: FedSegment | undefined
  private channelId: string | undefined

  constructor (private readonly pipeline: Pipeline, private readonly onDeleted: (bytes: number) => void, log: (line: string) => void = () => {}) {
    this.feeder = new SpoolFeeder(pipeline, log)
  }

  /** Feeds the segments that were in the spool at start; returns how many were fed. */
  async replay (segments: ReadonlyArray<{ file: string, bytes: number }>): Promise<number> {
    let fed = 0
    for (const { file, bytes } of segments) {
      const seg = await this.feeder.open(file)
      if (seg === null) continue // cut short (capture removes it) or damaged (logged, kept for the operator)
      this.channelId = seg.meta.channelId
      this.feeder.feedTo(seg, bytes) // a torn tail was never acknowledged: the reader takes it again
      this.close(seg)
      await this.pipeline.round([])
      this.replayedSubbufs += seg.subbufs
      fed++
    }
    // deleted at the first pass of capture, which names the current channel to the ledger
    return fed
  }

  /** Applies one of capture's facts (not `stop`). */
  async apply (m: Exclude<ToWorker, { kind: 'stop' }>): Promise<void> {
    switch (m.kind) {
      case 'channel':
        this.channelId = m.meta.channelId
        await this.pipeline.startChannel(m.meta, m.cpus)
        break
      case 'opened': {
        const seg = await this.feeder.open(m.file)
        if (seg === null) throw new Error(`${m.file}: the segment capture opened has no whole header`)
        this.open = seg
        break
      }
      case 'spooled':
        this.feeder.feedTo(this.requireOpen(), m.bytes)
        await this.pipeline.round(m.watermarks)
        this.pipeline.publishDue()
        this.deleteArchived()
        break
      case 'closed': {
        const seg = this.requireOpen()
        this.feeder.feedTo(seg, m.bytes)
        this.close(seg)
        this.open = undefined
        break
      }
      case 'ended':
        await this.pipeline.finishChannel()
        this.pipeline.reloaded()
        break
      case 'drain':
        await this.pipeline.publishStaged()
        this.deleteArchived()
        break
    }
  }

  /**
   * Deletes closed segments whose every record is in a final Parquet file, then lets the
   * ledger forget the channels no remaining segment holds (the open one's channel stays).
   */
  deleteArchived (): void {
    if (!this.pipeline.lossesPublished) return
    const { state } = this.pipeline
    let bytes = 0
    for (let i = 0; i < this.closed.length; i++) {
      const seg = this.closed[i]!
      let done = true
      for (const [cpu, seq] of seg.maxSeq) {
        if (seq > state.durableSeq('records', seg.meta.channelId, cpu)) { done = false; break }
      }
      if (!done) continue
      fs.rmSync(seg.file, { force: true })
      bytes += seg.bytes
      this.closed.splice(i--, 1)
    }
    state.retainChannels(this.closed, this.channelId)
    if (bytes > 0) this.onDeleted(bytes)
  }

  /** At stop: the open segment (if capture did not close it) is done too. */
  finish (): void {
    if (this.open !== undefined) this.close(this.open)
    this.open = undefined
  }

  private close (seg: FedSegment): void {
    seg.bytes = fs.fstatSync(seg.fd).size
    this.feeder.close(seg)
    this.closed.push(seg)
  }

  private requireOpen (): FedSegment {
    if (this.open === undefined) throw new Error('archive worker: capture spooled before it opened a segment')
    return this.open
  }
}
