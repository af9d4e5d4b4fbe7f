// The archive as the merge's first consumer: records become rows of the records writer,
// losses rows of the losses writer. First, because a full staging area throws here before
// any other consumer sees the record, and the merge emits it again after the publish.
// Records go to the writer as the kernel wrote them (RecordsWriter.appendRecord): their
// comm and message reach DuckDB as bytes, never as JS strings.
import type { Archive, LossRow } from '../archive/index.ts'
import type { ChannelMeta, Consumer } from './consumer.ts'

export class ArchiveConsumer implements Consumer {
  constructor (private readonly archive: Archive) {}

  channel (meta: ChannelMeta): void {
    this.archive.setChannel(meta)
  }

  record (view: DataView, off: number, cpu: number): void {
    this.archive.records.appendRecord(view, off, cpu)
  }

  loss (row: LossRow): void {
    this.archive.losses.append(row)
  }

  released (): void {}
}
