// Where the history (archive and spool) meets the live stream, keyed by (channel_id, cpu, seq).
//
// Why nothing falls between them: the tail connects to the live socket before it reads
// any history. The collector writes a sub-buffer to its spool before the merge releases
// its records, and deletes a spool segment only once its records are published in the
// archive; the tail reads the spool before the archive, so a record released before the
// tail connected is in one of the two when they are read (a segment that disappears in
// between was published first). A record released after the tail connected comes on the
// socket. Per (channel, cpu) the merge releases records in seq order, so on each CPU the
// first live record splits the history: below its seq, history; at or above, live. On a
// CPU with no live record yet, history may hold records the merge has not released (they
// are spooled but wait for a watermark): those are printed from history and dropped when
// they come live (seq at or below what history printed on that CPU).
// A live record with key K (ts, cpu, seq) also cuts the history at K, since the merge
// releases in key order: what sorts after K comes live.
// The first channel frame names the highest record the merge released before the tail
// joined (LIVE.md), which cuts the history exactly: at or before it, history; after it,
// live. Without it, a CPU whose records were spooled ahead of the others' had them
// printed from history before the others' earlier records came live, out of order.

export interface HistoryKey {
  channelId: string
  cpu: number
  seq: number
  /** monotonic ns */
  mono: bigint
}

/** The first live record seen per (channel, cpu), and the first overall. */
export class Seam {
  private readonly firstSeq = new Map<string, number>()
  private firstKey: { mono: bigint, cpu: number, seq: number } | null = null
  private released: { channelId: string, mono: bigint, cpu: number, seq: number } | null = null
  /** per channel, per CPU, the highest seq history printed: live records at or below it are duplicates */
  private readonly printedUpTo = new Map<string, number[]>()

  /** A live record arrived while the history was read. */
  noteLive (channelId: string, cpu: number, seq: number, mono: bigint): void {
    const k = `${channelId}/${cpu}`
    if (!this.firstSeq.has(k)) this.firstSeq.set(k, seq)
    if (this.firstKey === null) this.firstKey = { mono, cpu, seq }
  }

  /** The highest record released before the tail joined (the first channel frame). */
  noteReleased (channelId: string, cpu: number, seq: number, mono: bigint): void {
    this.released = { channelId, mono, cpu, seq }
  }

  /** Whether a history record is also in the live stream. */
  inLive (h: HistoryKey): boolean {
    const r = this.released
    if (r !== null && h.channelId === r.channelId && after(h, r)) return true
    const first = this.firstSeq.get(`${h.channelId}/${h.cpu}`)
    if (first !== undefined && h.seq >= first) return true
    const f = this.firstKey
    return f !== null && (after(h, f) || (h.mono === f.mono && h.cpu === f.cpu && h.seq === f.seq))
  }

  /** The history records printed (after dropping those inLive), to drop their copies from the live stream. */
  printed (records: readonly HistoryKey[]): void {
    for (const r of records) {
      let upTo = this.printedUpTo.get(r.channelId)
      if (upTo === undefined) this.printedUpTo.set(r.channelId, upTo = [])
      if (r.seq > (upTo[r.cpu] ?? 0)) upTo[r.cpu] = r.seq
    }
  }

  /** Whether a live record was already printed from history. Allocation-free. */
  printedBefore (channelId: string, cpu: number, seq: number): boolean {
    const upTo = this.printedUpTo.get(channelId)?.[cpu]
    return upTo !== undefined && seq <= upTo
  }
}

/** Whether `h` sorts after `k` in the merge's (ts, cpu, seq) order. */
function after (h: { mono: bigint, cpu: number, seq: number }, k: { mono: bigint, cpu: number, seq: number }): boolean {
  return h.mono > k.mono || (h.mono === k.mono && (h.cpu > k.cpu || (h.cpu === k.cpu && h.seq > k.seq)))
}
