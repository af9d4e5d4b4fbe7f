// The archive stage: Parquet files of records and losses, see formats/ARCHIVE.md.

import { LossesWriter } from './losses-writer.ts'
import { RecordsWriter } from './records-writer.ts'
import { createInstance } from './stager.ts'
import type { ChannelContext, Published, StagerHooks, WriterOptions } from './types.ts'

export { RecordsWriter } from './records-writer.ts'
export { LossesWriter } from './losses-writer.ts'
export { ArchiveWriteError, StagingFullError } from './errors.ts'
export { removePartialFiles } from './paths.ts'
export type { ChannelContext, LossRow, Published, RecordRow, WriterOptions } from './types.ts'

export interface Archive {
  readonly records: RecordsWriter;
  readonly losses: LossesWriter;
  /** Sets the channel on both writers. */
  setChannel(ctx: ChannelContext): void;
  /** Closes both writers (publishing what they hold), then the shared DuckDB instance. */
  close(): Promise<Published[]>;
}

/** Opens both writers on one shared in-memory DuckDB instance. */
export async function openArchive (opts: Omit<WriterOptions, 'instance'>, hooks?: StagerHooks): Promise<Archive> {
  const instance = await createInstance(opts)
  const records = await RecordsWriter.open({ ...opts, instance }, hooks)
  const losses = await LossesWriter.open({ ...opts, instance }, hooks)
  let recordsClosed = false
  return {
    records,
    losses,
    setChannel (ctx) {
      records.setChannel(ctx)
      losses.setChannel(ctx)
    },
    async close () {
      // Retrying after a failure must not close the records writer twice.
      const a = recordsClosed ? [] : await records.close()
      recordsClosed = true
      const b = await losses.close()
      instance.closeSync()
      return [...a, ...b]
    },
  }
}
