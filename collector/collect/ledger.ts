// The archive's commit ledger (state.json in the spool directory), read by the
// collector to replay the spool: what the archive holds for certain, per dataset,
// channel and CPU, the highest sequence number that is in a final Parquet file. The merge emits each CPU's
// records in seq order and the archive publishes files in that order, so one
// number per CPU describes a dataset's contents, and replaying the spool skips
// everything at or below it.
//
// A publish is bracketed so that a crash anywhere in it neither duplicates nor
// loses records: `begin` records the file and its seqs as pending (fsynced)
// before the file is renamed into place; `settle` (called at the next begin,
// after a publish call returns or throws, and at load) applies the pending seqs
// if the file is in place and forgets them if it is not.
import fs from 'node:fs'
import path from 'node:path'
import { replaceFileSync } from '../durable.ts'
import { makeDirSync } from '../file-mode.ts'

export type Dataset = 'records' | 'losses'

interface Pending {
  file: string
  dataset: Dataset
  maxSeq: Array<{ channelId: string, cpu: number, seq: number }>
}

interface StateFile {
  version: 1
  /** `${dataset}/${channelId}` → cpu → seq */
  durable: Record<string, Record<string, number>>
  pending: Pending | null
}

const NAME = 'state.json'

export class Ledger {
  private constructor (private readonly dir: string, private readonly state: StateFile) {}

  static load (dir: string): Ledger {
    makeDirSync(dir)
    const file = path.join(dir, NAME)
    let state: StateFile = { version: 1, durable: {}, pending: null }
    if (fs.existsSync(file)) {
      try {
        state = JSON.parse(fs.readFileSync(file, 'utf8')) as StateFile
      } catch (err) {
        throw new Error(`${file} is not valid krelay spool state (${(err as Error).message}); move it away to start over, which may archive again records that are already archived`)
      }
      if (state.version !== 1 || typeof state.durable !== 'object' || state.durable === null) {
        throw new Error(`${file}: unknown spool state version ${String(state.version)}`)
      }
    }
    const self = new Ledger(dir, state)
    self.settle()
    return self
  }

  /** Highest archived seq of (dataset, channel, cpu), 0 if none. */
  durableSeq (dataset: Dataset, channelId: string, cpu: number): number {
    return this.state.durable[`${dataset}/${channelId}`]?.[cpu] ?? 0
  }

  /** The file of the publish under way (begun, not settled yet), if any: compaction must not take it (collect/compactor.ts). */
  get pendingFile (): string | undefined {
    return this.state.pending?.file
  }

  /** `file` is about to be renamed into place holding these seqs. */
  begin (file: string, dataset: Dataset, maxSeq: Pending['maxSeq']): void {
    this.settle()
    this.state.pending = { file, dataset, maxSeq }
    this.write()
  }

  /** Resolves a pending publish by whether its file is in place. */
  settle (): void {
    const p = this.state.pending
    if (p === null) return
    if (fs.existsSync(p.file)) {
      for (const { channelId, cpu, seq } of p.maxSeq) {
        const d = (this.state.durable[`${p.dataset}/${channelId}`] ??= {})
        if (seq > (d[cpu] ?? 0)) d[cpu] = seq
      }
    }
    this.state.pending = null
    this.write()
  }

  /**
   * Forgets the channels replay can no longer need, so the file does not grow by a
   * channel at every module load: a channel's seqs are kept while a spool segment of
   * it remains (replay skips the records they say are archived) and while it is
   * `current`. Saves the file when it forgot something.
   */
  retainChannels (segments: Iterable<{ readonly meta: { readonly channelId: string } }>, current: string | undefined): void {
    const keep = new Set<string>()
    for (const s of segments) keep.add(s.meta.channelId)
    if (current !== undefined) keep.add(current)
    let forgot = false
    for (const key of Object.keys(this.state.durable)) {
      if (keep.has(key.slice(key.indexOf('/') + 1))) continue
      delete this.state.durable[key]
      forgot = true
    }
    if (forgot) this.write()
  }

  private write (): void {
    replaceFileSync(path.join(this.dir, NAME), JSON.stringify(this.state))
  }
}
