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
  /** per channel, per CPU, the highest seq history printed: live records at or below it are duplicates */
  private readonly printedUpTo = new Map<string, number[]>()

  /** A live record arrived while the history was read. */
  noteLive (channelId: string, cpu: number, seq: number, mono: bigint): void {
    const k = `${channelId}/${cpu}`
    if (!this.firstSeq.has(k)) this.firstSeq.set(k, seq)
    if (this.firstKey === null) this.firstKey = { mono, cpu, seq }
  }

  /** Whether a history record is also in the live stream. */
  inLive (h: HistoryKey): boolean {
    const first = this.firstSeq.get(`${h.channelId}/${h.cpu}`)
    if (first !== undefined && h.seq >= first) return true
    const f = this.firstKey
    if (f === null) return false
    return h.mono > f.mono || (h.mono === f.mono && (h.cpu > f.cpu || (h.cpu === f.cpu && h.seq >= f.seq)))
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
