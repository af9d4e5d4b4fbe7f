// Merges the rows of several hosts publishing into one archive by (ts, host, cpu, seq).
// Each host publishes its files in time order, but hosts publish independently: a row is
// held until every host seen so far has published past its time, its watermark (the
// largest time in its files so far). A host that published nothing for `waitMs` is not
// waited for: it may have stopped, or have nothing to say; rows it publishes later are
// printed when they come, after the rows already printed.

/** One line to print, at its place in the merged order. */
export interface MergeItem {
  /** UTC ns since the epoch: `ts`, or `ts_from` for a loss */
  readonly ts: bigint
  readonly host: string
  readonly cpu: number
  /** `seq`, or `first_seq` for a loss */
  readonly seq: number
  readonly line: string
}

interface HostState { watermark: bigint, lastFileAt: number }

export function compareItems (a: MergeItem, b: MergeItem): number {
  if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1
  if (a.host !== b.host) return a.host < b.host ? -1 : 1
  if (a.cpu !== b.cpu) return a.cpu - b.cpu
  return a.seq - b.seq
}

export class HostMerge {
  private readonly hosts = new Map<string, HostState>()
  private pending: MergeItem[] = []
  private sorted = true

  constructor (private readonly waitMs: number) {}

  /**
   * A file of `host` was read: its rows that passed the filter (`items`), the largest
   * time of all its rows (`lastTs`), and when it was published (ms, `Date.now()` clock).
   */
  addFile (host: string, items: readonly MergeItem[], lastTs: bigint, at: number): void {
    const h = this.hosts.get(host)
    if (h === undefined) this.hosts.set(host, { watermark: lastTs, lastFileAt: at })
    else {
      if (lastTs > h.watermark) h.watermark = lastTs
      if (at > h.lastFileAt) h.lastFileAt = at
    }
    if (items.length === 0) return
    for (const item of items) this.pending.push(item)
    this.sorted = false
  }

  /** The time up to which every host still waited for has published; null: no host is waited for. */
  bound (now: number): bigint | null {
    let bound: bigint | null = null
    for (const h of this.hosts.values()) {
      if (now - h.lastFileAt >= this.waitMs) continue
      if (bound === null || h.watermark < bound) bound = h.watermark
    }
    return bound
  }

  /** The rows that can be printed now, in order (removed from the merge). */
  release (now: number): MergeItem[] {
    if (this.pending.length === 0) return []
    if (!this.sorted) {
      this.pending.sort(compareItems)
      this.sorted = true
    }
    const bound = this.bound(now)
    let n = this.pending.length
    if (bound !== null) {
      n = 0
      while (n < this.pending.length && this.pending[n]!.ts <= bound) n++
    }
    if (n === 0) return []
    const out = this.pending.slice(0, n)
    this.pending = this.pending.slice(n)
    return out
  }

  /** Rows held back. */
  get held (): number {
    return this.pending.length
  }
}
