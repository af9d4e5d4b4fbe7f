// The consumer loop of PROTOCOL.md §8 for one channel: read stats, take every complete
// sub-buffer of every CPU, hand each on, acknowledge it only after the hand-off settled.
// A CPU's run of sub-buffers is acknowledged with one `ack` (acks are cumulative): a write
// to `control` (and an open and a close for a module whose files pin it, ack.ts), which in a
// slow guest costs more than a small sub-buffer.
import { setImmediate as turn } from 'node:timers/promises'
import { SUBBUF_HDR_SIZE } from '../../formats/wire.ts'
import { UnsupportedAbiError } from '../../formats/errors.ts'
import { createRecordView } from '../../formats/record.ts'
import type { ChannelStats } from '../../formats/stats.ts'
import { createSubbufHeader, HEADER_BAD_VERSION, HEADER_OK, type SubbufHeader } from '../../formats/subbuf-header.ts'
import { decodeSubbuf } from './decode-subbuf.ts'
import { channelAcker, type Acker } from './ack.ts'
import { claimChannel, releaseChannel } from './claim.ts'
import type { Channel } from './channel.ts'
import { CpuBuffer, NOT_READY } from './cpu-buffer.ts'
import { watchCpuFiles } from './cpu-files.ts'
import { lapTarget, type Lap } from './lap.ts'
import { ChannelError } from './errors.ts'
import { openWaiter, type Waiter } from './waiter.ts'
import type { CpuWatermark, PassResult, ReaderEnd, ReaderOptions } from './reader-options.ts'
import { createSeqState, type SeqState } from './records.ts'

interface CpuReader {
  buffer: CpuBuffer
  seq: SeqState
  header: SubbufHeader
  /** the last sub-buffer taken and handed on but not acknowledged yet, 0 if none */
  unacked: number
}

const MAX_U32 = 0xffffffff
/**
 * The longest a pass runs before it lets the event loop turn. A pass catching up on a
 * backlog goes from promise to promise, never back to the loop, for as long as sub-buffers
 * keep completing: seconds in a slow guest, with signals, timers and sockets waiting.
 */
export const SLICE_MS = 20

export class ChannelReader {
  private readonly cpus = new Map<number, CpuReader>()
  private readonly rec = createRecordView()
  private readonly acker: Acker
  private ended: ReaderEnd | null = null
  /** set by wake(): a pass is due now; `wakeIdle` ends the current sleep */
  private woken = false
  private wakeIdle: (() => void) | null = null
  private waiter: Waiter | null = null
  /** performance.now() when the event loop last turned under this reader */
  private sliceFrom = performance.now()
  private readonly sliceMs: number

  constructor (readonly channel: Channel, private readonly options: ReaderOptions) {
    if ((options.onSubbuf === undefined) === (options.onRawSubbuf === undefined)) {
      throw new TypeError('ChannelReader: give onSubbuf or onRawSubbuf, one of them')
    }
    this.acker = options.acker ?? channelAcker(channel)
    this.sliceMs = options.sliceMs ?? SLICE_MS
    if (options.claimAs !== undefined) claimChannel(channel, options.claimAs)
    const stats = channel.readStats()
    for (const cpu of channel.info.cpus) this.addCpu(cpu, stats)
  }

  /** Next sub-buffer seq the reader will take on `cpu`. */
  next (cpu: number): number | undefined {
    return this.cpus.get(cpu)?.buffer.next
  }

  private addCpu (cpu: number, stats: ChannelStats): number {
    const row = stats.byCpu.get(cpu)
    if (!row) throw new ChannelError('not-a-channel', `stats has no row for cpu ${cpu}`)
    const next = this.options.startAt?.(cpu, row) ?? row.consumed + 1
    const { subbufSize, nSubbufs } = this.channel.info
    const buffer = new CpuBuffer(cpu, this.channel.mapCpu(cpu), subbufSize, nSubbufs, next)
    this.cpus.set(cpu, { buffer, seq: createSeqState(), header: createSubbufHeader(), unacked: 0 })
    return next
  }

  /**
   * Stats, or null once the module is gone: info and stats vanish at unload, a descriptor
   * kept open fails, and a new instance shows a new channel_id (channel.readStats() checks)
   * or sequences below what was already read.
   */
  private readStatsOrEnd (): ChannelStats | null {
    try {
      const stats = this.channel.readStats()
      for (const [cpu, reader] of this.cpus) {
        const row = stats.byCpu.get(cpu)
        if (row && row.produced < reader.buffer.next - 1) {
          this.ended = 'reloaded'
          return null
        }
      }
      return stats
    } catch (err) {
      if (err instanceof ChannelError && err.code === 'not-a-channel') {
        this.ended = this.goneReason() ?? 'unloaded'
        return null
      }
      throw err
    }
  }

  /**
   * One pass: read stats (watermarks), then take every complete sub-buffer of every CPU,
   * at most n_subbufs per CPU (all that can be complete when stats was read), then onRound.
   * The pass in which the module turns out to be gone reads every mapping to the end.
   */
  async pass (): Promise<PassResult> {
    const stats = this.ended ? null : this.readStatsOrEnd()
    // The guarantee for CPUs that come online (§8): every CPU with a stats row is mapped
    // here, before its watermark is taken, so a watermark is never used before its file is
    // mapped. Only a row gives `consumed`, and relay creates the file just before the row,
    // so the watcher in run() never maps anything: it only makes this pass come sooner.
    if (stats) {
      for (const row of stats.cpus) {
        if (this.cpus.has(row.cpu)) continue
        const next = this.addCpu(row.cpu, stats)
        this.options.onCpuMapped?.(row.cpu, next)
      }
    }
    if (stats) this.skipLaps(stats)
    const watermarks: CpuWatermark[] = []
    for (const cpu of this.cpus.keys()) {
      const row = stats?.byCpu.get(cpu)
      watermarks.push(row ? { cpu, hi: row.watermarkHi, lo: row.watermarkLo } : { cpu, hi: MAX_U32, lo: MAX_U32 })
    }
    const result: PassResult = { subbufs: 0, more: false, ended: null }
    await this.readCpus(watermarks, result)
    if (this.ended && stats) {
      for (const w of watermarks) { w.hi = MAX_U32; w.lo = MAX_U32 }
      await this.readCpus(watermarks, result)
    }
    result.ended = this.ended
    let minHi = MAX_U32
    let minLo = MAX_U32
    for (const w of watermarks) {
      if (w.hi < minHi || (w.hi === minHi && w.lo < minLo)) { minHi = w.hi; minLo = w.lo }
    }
    await this.options.onRound?.({ watermarks, minHi, minLo, final: this.ended !== null })
    return result
  }

  /** Moves every lapped CPU on to the oldest sub-buffer still there (lap.ts). */
  private skipLaps (stats: ChannelStats): void {
    const { nSubbufs } = this.channel.info
    for (const [cpu, { buffer }] of this.cpus) {
      const row = stats.byCpu.get(cpu)
      const to = row ? lapTarget(buffer.next, row, nSubbufs) : 0
      if (to === 0) continue
      const lap: Lap = { cpu, from: buffer.next, to, consumed: row!.consumed, produced: row!.produced }
      buffer.next = to
      this.options.onLap?.(lap)
    }
  }

  /**
   * Takes each CPU's complete sub-buffers and acknowledges the run with one ack, and before
   * each turn of the event loop (sliceMs), so the kernel gets its slots back while it waits.
   */
  private async readCpus (watermarks: CpuWatermark[], result: PassResult): Promise<void> {
    for (const { cpu, hi, lo } of watermarks) {
      const reader = this.cpus.get(cpu)!
      const limit = this.ended ? Infinity : this.channel.info.nSubbufs
      let taken = 0
      try {
        while (taken < limit && await this.takeOne(reader, hi, lo)) {
          taken++
          if (performance.now() - this.sliceFrom > this.sliceMs) {
            await this.ackTaken(reader)
            await turn()
            this.sliceFrom = performance.now()
          }
        }
      } catch (err) {
        // what was handed on before the failure is acknowledged; the failure is what is thrown
        await this.ackTaken(reader).catch(() => {})
        throw err
      }
      await this.ackTaken(reader)
      if (taken === limit && reader.buffer.isReady()) result.more = true
      result.subbufs += taken
    }
  }

  /** Takes sub-buffer `next` of one CPU if it is complete; false if it is not. */
  private async takeOne (reader: CpuReader, watermarkHi: number, watermarkLo: number): Promise<boolean> {
    const { buffer, header } = reader
    const status = buffer.poll(header)
    if (status === NOT_READY) return false
    const seq = buffer.next
    if (status === HEADER_BAD_VERSION) throw new UnsupportedAbiError(header.version, ` (sub-buffer ${seq} of cpu ${buffer.cpu})`)
    const bytes = buffer.subbufBytes(seq, status === HEADER_OK ? header.committed : 0, SUBBUF_HDR_SIZE)
    const { options } = this
    const handed = options.onRawSubbuf !== undefined
      ? options.onRawSubbuf({ cpu: buffer.cpu, seq, bytes, header, status })
      : options.onSubbuf!(decodeSubbuf(buffer.cpu, seq, bytes, header, status, reader.seq, this.rec, watermarkHi, watermarkLo))
    // a hand-off that waits (a full disk) does not hold back the slots read before it: their
    // ack is written (the ackers write synchronously) before the hand-off resumes from an await
    if (handed) await Promise.all([this.ackTaken(reader), handed])
    reader.unacked = seq
    buffer.next = seq + 1
    return true
  }

  /** Acknowledges the sub-buffers of `reader` handed on since its last ack, if any. */
  private async ackTaken (reader: CpuReader): Promise<void> {
    const seq = reader.unacked
    if (seq === 0) return
    reader.unacked = 0
    if (!this.ended) await this.ackOrEnd(reader.buffer.cpu, seq)
  }

  /**
   * An ack that fails because the module went away (ENOENT on open, EIO through a
   * descriptor to a removed debugfs file, ENODEV while it unloads: ChannelError
   * 'not-a-channel') ends the reader; any other failure is thrown.
   */
  private async ackOrEnd (cpu: number, seq: number): Promise<void> {
    try {
      await this.acker.ack(cpu, seq)
    } catch (err) {
      const unloading = err instanceof ChannelError && err.code === 'not-a-channel'
      this.ended = this.goneReason() ?? (unloading ? 'unloaded' : null)
      if (!this.ended) throw err
    }
  }

  private goneReason (): ReaderEnd | null {
    try {
      const channelId = this.channel.readChannelId()
      return channelId !== this.channel.info.channelId ? 'reloaded' : null
    } catch (err) {
      if (err instanceof ChannelError && err.code === 'not-a-channel') return 'unloaded'
      throw err
    }
  }

  /**
   * Passes until the module goes (then reads the mappings to the end and returns why) or `signal`
   * aborts ('stopped'). After a pass that left nothing it waits on the `wait` file: until a
   * sub-buffer completes, a flush pass ends, a CPU file appears or the directory goes; at most
   * two flush intervals (the module's flush passes wake it every interval). Without the file it
   * sleeps about one flush interval, as before the file existed.
   */
  async run (signal?: AbortSignal): Promise<ReaderEnd | 'stopped'> {
    const watcher = this.options.watchCpuFiles === false
      ? null
      : watchCpuFiles(this.channel.dir, {
        onCpuFile: (cpu) => { if (!this.cpus.has(cpu)) this.wake() },
        onGone: () => this.wake(),
        onError: (err) => this.options.onWatchError?.(err),
      })
    this.waiter = this.options.waitFile === false ? null : openWaiter(this.channel.waitPath)
    try {
      while (!signal?.aborted) {
        const started = performance.now()
        this.woken = false
        const pass = await this.pass()
        if (pass.ended) return pass.ended
        if (pass.more || this.woken) continue
        const interval = this.channel.info.flushIntervalMs
        if (this.waiter && this.waiter.failed === null) {
          await this.waiter.wait(2 * interval, signal)
        } else {
          const wait = interval - (performance.now() - started)
          if (wait > 0) await this.idle(wait, signal)
        }
        this.sliceFrom = performance.now()
      }
      return 'stopped'
    } finally {
      await watcher?.close()
      await this.waiter?.close()
      this.waiter = null
      // descriptors kept open (§1); a pass after this opens them again
      this.acker.close?.()
      this.channel.close()
    }
  }

  /** Makes run() pass now instead of sleeping out the flush interval. */
  wake (): void {
    this.woken = true
    this.wakeIdle?.()
    this.waiter?.wake()
  }

  /** Sleeps `ms`, less if woken or aborted. */
  private idle (ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve()
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        this.wakeIdle = null
        resolve()
      }
      const timer = setTimeout(done, ms)
      signal?.addEventListener('abort', done, { once: true })
      this.wakeIdle = done
    })
  }

  /**
   * Gives up the claim after the last ack (a clean stop), if the reader claimed and the
   * module is still there; a module that went took the claim with it.
   */
  release (): void {
    if (this.options.claimAs === undefined || this.ended) return
    try {
      releaseChannel(this.channel)
    } catch (err) {
      if (!(err instanceof ChannelError && err.code === 'not-a-channel')) throw err
    }
  }

  close (): void {
    this.acker.close?.()
    this.channel.close()
  }
}
