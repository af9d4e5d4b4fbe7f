// What both dataset writers (records, losses) offer besides their own append: the
// channel, and publishing through their stager.
import type { Stager } from './stager.ts'
import type { ChannelContext, Published } from './types.ts'

export class DatasetWriter {
  protected constructor (protected readonly s: Stager) {}

  /** Sets the channel of the rows appended from now on (for a `reload` loss: the old channel). Cheap when nothing changed. */
  setChannel (ctx: ChannelContext): void {
    this.s.setChannel(ctx)
  }

  /** New file size and age limits (Stager.setLimits), for the rows from now on. */
  setLimits (maxFileBytes: number, maxAgeSeconds: number): void {
    this.s.setLimits(maxFileBytes, maxAgeSeconds)
  }

  /** True when publishDue() would write a file now (a sealed file waits, or the open one is too old). */
  get due (): boolean {
    return this.s.due()
  }

  /** Publishes sealed files, and the open one if it is older than maxAgeSeconds. Cheap when nothing is due. */
  publishDue (nowMs?: number): Promise<Published[]> {
    return this.s.publishDue(nowMs)
  }

  /** True when a sealed file waits that no publish call has taken on yet (see publishSealedNow). */
  get sealedWaiting (): boolean {
    return this.s.sealedWaiting
  }

  /** Publishes the sealed files (and the open one if it is full), not the open one only because of its age. */
  publishSealedNow (): Promise<Published[]> {
    return this.s.publishSealedNow()
  }

  /** Publishes everything staged, the open file included. */
  publishAll (): Promise<Published[]> {
    return this.s.publishAll()
  }

  /** Publishes everything staged and releases DuckDB. On failure the writer stays open (retry close()). */
  close (): Promise<Published[]> {
    return this.s.close()
  }

  get stagedRows (): number {
    return this.s.stagedRows
  }

  get stagedBytes (): number {
    return this.s.staged
  }
}
