// Watches the status snapshots for records the kernel dropped and turns them into hint
// lines (drop-hint.ts): per CPU, a burst (successive intervals with drops) is judged when
// it ends, or as sustained once it lasted SUSTAINED_S; a CPU gets at most one line per
// HINT_INTERVAL_S, summing its drops since the last one and giving the advice for the
// largest burst among them. Over the whole run it keeps the drops per CPU and the largest
// advice, for the summary.
import { dropAdvice, hintLine, summaryHint, SUSTAINED_S, worse, count, type DropAdvice, type DropBurst, type Geometry } from './drop-hint.ts'
import type { CollectorStatus } from '../../collector/collect/status-file.ts'

type CpuCounts = CollectorStatus['cpus'][number]

export const HINT_INTERVAL_S = 10

interface Burst extends DropBurst { continuous: number }

interface CpuWatch {
  /** the burst under way: intervals with drops so far */
  burst: Burst | undefined
  /** drops since the last line, and since when */
  unreported: number
  since: number
  /** the largest burst since the last line, with its advice */
  largest: { burst: DropBurst, advice: DropAdvice | undefined } | undefined
  lastLine: number
  /** over the channel: records and their bytes, for the mean record size */
  records: number
  bytes: number
}

export class DropWatch {
  /** records dropped per CPU over the run (all channels) */
  readonly dropped = new Map<number, number>()
  /** the largest advice of the run */
  worst: DropAdvice | undefined
  private prev: { channel: string | null, at: number, cpus: Map<number, CpuCounts> } | undefined
  private geometry: Geometry | undefined
  private readonly cpus = new Map<number, CpuWatch>()

  /** `geometry(channelId)`: the module's buffers of that channel (its info), undefined if unknown */
  constructor (private readonly lookup: (channelId: string) => Geometry | undefined) {}

  /** The hint lines this snapshot brings (usually none). */
  take (s: CollectorStatus): string[] {
    const at = Date.parse(s.updated_at)
    const lines: string[] = []
    if (this.prev === undefined || this.prev.channel !== s.channel_id) {
      // a new channel counts from zero (status-file.ts): what the old one left is judged now
      lines.push(...this.finish())
      this.cpus.clear()
      this.geometry = s.channel_id === null ? undefined : this.lookup(s.channel_id)
      this.prev = { channel: s.channel_id, at: this.prev?.at ?? Date.parse(s.started_at), cpus: new Map() }
    }
    const seconds = Math.max(0, (at - this.prev.at) / 1000)
    for (const c of s.cpus) {
      const before = this.prev.cpus.get(c.cpu)
      const dRecords = c.records - (before?.records ?? 0)
      const dDropped = c.dropped - (before?.dropped ?? 0)
      const dBytes = c.bytes - (before?.bytes ?? 0)
      const line = this.interval(c.cpu, at, seconds, dRecords, dBytes, dDropped)
      if (line !== undefined) lines.push(line)
    }
    this.prev = { channel: s.channel_id, at, cpus: new Map(s.cpus.map(c => [c.cpu, c])) }
    return lines
  }

  /** At the end (or a new channel): every burst judged, every CPU's line given now. */
  finish (): string[] {
    const lines: string[] = []
    for (const [cpu, w] of this.cpus) {
      if (w.burst !== undefined) this.close(w)
      if (w.unreported > 0) lines.push(this.line(cpu, w, this.prev?.at ?? Date.now()))
    }
    return lines
  }

  /** The summary's line (drop-hint.ts summaryHint), or none when nothing was dropped. */
  summary (): string | undefined {
    return summaryHint(this.dropped, this.worst)
  }

  private interval (cpu: number, at: number, seconds: number, records: number, bytes: number, dropped: number): string | undefined {
    let w = this.cpus.get(cpu)
    if (w === undefined) this.cpus.set(cpu, w = { burst: undefined, unreported: 0, since: at, largest: undefined, lastLine: -Infinity, records: 0, bytes: 0 })
    w.records += records
    w.bytes += bytes
    if (dropped > 0) {
      this.dropped.set(cpu, (this.dropped.get(cpu) ?? 0) + dropped)
      if (w.unreported === 0) w.since = at - seconds * 1000
      w.unreported += dropped
      w.burst ??= { cpu, dropped: 0, seconds: 0, records: 0, recordBytes: 0, sustained: false, continuous: 0 }
      w.burst.dropped += dropped
      w.burst.seconds += seconds
      w.burst.records += records
      w.burst.continuous += seconds
      if (w.burst.continuous >= SUSTAINED_S) {
        w.burst.sustained = true
        this.close(w)
      }
    } else if (w.burst !== undefined) {
      // the interval after a burst: the reader catching up spools what the buffer held
      w.burst.seconds += seconds
      w.burst.records += records
      this.close(w)
    }
    if (w.unreported > 0 && w.burst === undefined && at - w.lastLine >= HINT_INTERVAL_S * 1000) return this.line(cpu, w, at)
    return undefined
  }

  /** Judges the burst under way. */
  private close (w: CpuWatch): void {
    const burst = w.burst!
    w.burst = undefined
    burst.recordBytes = w.records > 0 ? w.bytes / w.records : 0
    const advice = this.geometry === undefined ? undefined : dropAdvice(burst, this.geometry)
    if (advice !== undefined) this.worst = worse(this.worst, advice)
    if (w.largest === undefined || (advice !== undefined && worse(w.largest.advice, advice) === advice)) w.largest = { burst, advice }
  }

  private line (cpu: number, w: CpuWatch, at: number): string {
    const totals = { dropped: w.unreported, seconds: Math.max(0, (at - w.since) / 1000) }
    const largest = w.largest
    w.unreported = 0
    w.largest = undefined
    w.lastLine = at
    if (largest?.advice === undefined) {
      return `cpu ${cpu}: ${count(totals.dropped)} records dropped in the last ${totals.seconds.toFixed(1)} s (the module's buffer size is not known: no advice)`
    }
    return hintLine(largest.advice, largest.burst, this.geometry!, totals)
  }
}
