// The archive's publishes, one after another, beside the merge: each records publish, then
// the staged loss rows after it (a deleted spool segment never takes an unpublished loss
// row with it), the ledger settled after each. A full disk is waited out (the spool keeps
// the rows meanwhile); any other failure is kept and thrown at the pipeline's next call
// (pipeline.ts queues, and never waits unless it asks to).
import fs from 'node:fs'
import { ArchiveWriteError, type Archive, type Published } from '../archive/index.ts'
import { diskFullCode, type DiskFullWait } from '../disk-full.ts'
import type { Ledger } from './ledger.ts'
import type { PublishFigures } from './status-file.ts'

export class PublishQueue {
  /** every file published, in order */
  readonly published: Published[] = []
  /** bytes of the files published and when the last one was (status.json's archive.bytes, archive.last_publish_at) */
  readonly figures: PublishFigures = { bytes: 0, lastAt: null }
  /** hears every file published, as it is (the collector's compactor and log) */
  onPublished: ((files: readonly Published[]) => void) | undefined
  private tail: Promise<void> = Promise.resolve()
  private error: unknown
  /** a sealed() publish is queued and has not started yet (it will take every stage sealed by then) */
  private sealedQueued = false

  /**
   * `full`: wait out a full disk; without it a full disk fails the publish, as any other write
   * error. `totals.files` counts the files published.
   */
  constructor (
    private readonly archive: Archive,
    private readonly state: Ledger,
    private readonly full: DiskFullWait | undefined,
    private readonly totals: { files: number }
  ) {}

  /** Queues a publish of what is due, unless nothing is. */
  due (): void {
    this.throwIfFailed()
    if (this.archive.records.due) this.publish(() => this.archive.records.publishDue())
  }

  /**
   * Queues a publish of the records files sealed so far (full or at an hour's end); then of
   * the staged losses, if a file was published. Nothing if one is queued and not started.
   */
  sealed (): void {
    if (this.sealedQueued || this.error !== undefined || !this.archive.records.sealedWaiting) return
    this.sealedQueued = true
    this.publish(() => {
      this.sealedQueued = false
      return this.archive.records.publishSealedNow()
    }, true)
  }

  /** Queues a publish of everything staged. */
  all (): void {
    this.throwIfFailed()
    this.publish(() => this.archive.records.publishAll())
  }

  /** Waits for the publishes queued; throws what failed. */
  async settled (): Promise<void> {
    await this.tail
    this.throwIfFailed()
  }

  /** Publishes everything and closes the archive (its last files, waiting out a full disk). */
  async close (): Promise<void> {
    // queued even after a failure (which settled() then throws): the last try to publish
    this.publish(() => this.archive.records.publishAll())
    await this.settled()
    for (;;) {
      try {
        this.record(await this.archive.close())
        return
      } catch (err) {
        if (!this.waitForRoom(err)) throw err
        await this.full!.pause(err, failedPath(err))
      } finally {
        this.settle()
      }
    }
  }

  /** Throws the failure of a publish, once. */
  throwIfFailed (): void {
    if (this.error !== undefined) {
      const err = this.error
      this.error = undefined
      throw err
    }
  }

  /** `lossesAfterAFile`: the staged losses follow only when the records publish wrote a file. */
  private publish (records: () => Promise<Published[]>, lossesAfterAFile = false): void {
    const { losses } = this.archive
    this.tail = this.tail.then(async () => {
      for (;;) {
        try {
          const published = await records()
          this.record(published)
          if (losses.stagedRows > 0 && (published.length > 0 || !lossesAfterAFile)) this.record(await losses.publishAll())
          this.full?.resumed()
          break
        } catch (err) {
          // a file that failed is not there (publisher.ts): its stage waits, and the next try starts with it
          if (err instanceof ArchiveWriteError) this.record([...err.published])
          if (!this.waitForRoom(err)) break
          try {
            await this.full!.pause(err, failedPath(err))
          } catch (stopped) {
            this.error = stopped
            break
          }
        } finally {
          this.settle()
        }
      }
    })
  }

  /** True when `err` is a full disk to wait out; otherwise it becomes the publish error. */
  private waitForRoom (err: unknown): boolean {
    if (this.full !== undefined && diskFullCode(err) !== undefined) return true
    this.error = err
    return false
  }

  /**
   * Settles the ledger. On a full disk state.json keeps its pending entry: the file it names
   * is there or not, which is what load() and the next begin() settle by, so that is safe.
   */
  private settle (): void {
    try {
      this.state.settle()
    } catch (err) {
      if (diskFullCode(err) === undefined) throw err
    }
  }

  private record (published: Published[]): void {
    if (published.length === 0) return
    this.onPublished?.(published)
    this.published.push(...published)
    this.totals.files += published.length
    // one stat per file published: the archive writer does not count the bytes it wrote
    for (const p of published) this.figures.bytes += fileBytes(p.path)
    this.figures.lastAt = new Date().toISOString()
  }
}

/** Size of a file just published; 0 if it is gone already (a compaction of its hour took it). */
function fileBytes (file: string): number {
  try {
    return fs.statSync(file).size
  } catch {
    return 0
  }
}

/** The file a failed archive write was for: the Parquet file, or a staging file (plain-parquet.ts). */
function failedPath (err: unknown): string {
  if (err instanceof ArchiveWriteError) return err.path
  const p = (err as { path?: unknown }).path
  return typeof p === 'string' ? p : 'an archive staging file'
}
