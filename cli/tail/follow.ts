// Follows the collector's live socket: sends the hello, decodes frames, prints lines.
// stdout sets the pace: while a write waits, the socket is not read, and the collector
// skips records for this tail (and says how many) rather than wait for it.
import net from 'node:net'
import { createLossRow } from '../../collector/collect/loss-row.ts'
import {
  FRAME_CHANNEL, FRAME_END, FRAME_ERROR, FRAME_LOSS, FRAME_RECORD, FRAME_SKIPPED, frameChannelId, frameMonoToRealtimeNs,
  frameRecordOffset, frameReleased, frameSkipped, frameText, readLossFrame, type FrameView, type ReleasedKey,
} from '../../formats/live.ts'
import { helloLine, type LiveFilterSpec } from '../../formats/live-hello.ts'
import { CliFailure, EXIT_OK } from '../errors.ts'
import { DEFAULT_LINES, type TailOptions } from '../tail.ts'
import { useColor } from './color.ts'
import { FrameStream } from './frames.ts'
import { lossJson, recordJson, skippedJson } from './json.ts'
import { lossLine, recordLine, skippedLine, type ChannelInfo, type LineOptions } from './lines.ts'
import { readBacklog } from './backlog.ts'
import { followChannel } from './direct.ts'
import { DEFAULT_CHANNEL_DIR } from '../../collector/source/channel.ts'
import { historyLines } from './history-lines.ts'
import type { HistoryItem } from './history.ts'
import { Seam } from './seam.ts'
import { recordSeq, recordTsHi, recordTsLo } from '../../formats/record.ts'
import { u64ToBigInt } from '../../formats/u64.ts'

/** Live bytes kept while the history is read; beyond them the socket is paused and the collector skips for this tail (and says how many). */
const BACKLOG_BUFFER_BYTES = 64 * 1024 * 1024

/** Resolves with the exit status once the stream ends; rejects with a CliFailure. */
export function followLive (opts: TailOptions, out: NodeJS.WriteStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  return new Promise((resolve, reject) => {
    const lineOpts: LineOptions = { time: opts.time, color: useColor(opts.color, out.isTTY === true, process.env) }
    const loss = createLossRow()
    let ch: ChannelInfo = { channelId: '', monoToRealtimeNs: 0n }
    let lines: string[] = []
    let ended = false
    const socket = net.createConnection(opts.socket)
    // -n / --since: live frames are kept (copied) while the history is read, then printed after it
    const wantsHistory = opts.out !== undefined && (opts.since !== undefined || (opts.lines ?? DEFAULT_LINES) > 0)
    const seam = wantsHistory ? new Seam() : null
    let pending: Buffer[] | null = wantsHistory ? [] : null
    let pendingBytes = 0
    let pendingRecords = 0
    let pendingCh = ''
    const released: ReleasedKey = { tsHi: 0, tsLo: 0, cpu: 0, seq: 0 }
    let closed = false

    const stop = (): boolean => {
      if (ended) return false
      ended = true
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      socket.destroy()
      return true
    }
    const finish = (status: number, message?: string): void => {
      if (!stop()) return
      if (message !== undefined) err.write(`krelay tail: ${message}\n`)
      resolve(status)
    }
    const fail = (e: CliFailure): void => {
      if (stop()) reject(e)
    }
    const onSignal = (): void => finish(EXIT_OK)
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    // a closed pipe (krelay tail | head): the reader has what it wanted
    out.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(EXIT_OK)
      fail(new CliFailure(`writing to stdout: ${e.message}`))
    })

    const printFrame = (view: DataView, off: number, f: FrameView): void => {
      switch (f.type) {
        case FRAME_RECORD: {
          const rec = frameRecordOffset(off)
          if (seam !== null && seam.printedBefore(ch.channelId, f.cpu, recordSeq(view, rec))) break
          lines.push(opts.json ? recordJson(view, rec, f.cpu, ch) : recordLine(view, rec, f.cpu, ch, lineOpts))
          break
        }
        case FRAME_CHANNEL:
          ch = { channelId: frameChannelId(view, off), monoToRealtimeNs: frameMonoToRealtimeNs(view, off) }
          err.write(`krelay tail: following channel ${ch.channelId} (${opts.socket})\n`)
          break
        case FRAME_LOSS:
          readLossFrame(view, off, loss)
          lines.push(opts.json ? lossJson(loss, ch) : lossLine(loss, ch, lineOpts))
          break
        case FRAME_SKIPPED: {
          const n = frameSkipped(view, off)
          lines.push(opts.json ? skippedJson(n) : skippedLine(n, lineOpts))
          break
        }
        case FRAME_END:
          flush()
          finish(EXIT_OK, frameText(view, off, f.len))
          break
        case FRAME_ERROR:
          fail(new CliFailure(`the collector refused this tail: ${frameText(view, off, f.len)}`))
          break
      }
    }

    const keepFrame = (view: DataView, off: number, f: FrameView): void => {
      if (f.type === FRAME_CHANNEL) {
        pendingCh = frameChannelId(view, off)
        if (pending!.length === 0) {
          if (frameReleased(view, off, released)) seam!.noteReleased(pendingCh, released.cpu, released.seq, u64ToBigInt(released.tsHi, released.tsLo))
          startHistory()
        }
      } else if (f.type === FRAME_RECORD) {
        const rec = frameRecordOffset(off)
        seam!.noteLive(pendingCh, f.cpu, recordSeq(view, rec), u64ToBigInt(recordTsHi(view, rec), recordTsLo(view, rec)))
        pendingRecords++
      }
      pending!.push(Buffer.from(view.buffer, view.byteOffset + off, f.len))
      pendingBytes += f.len
      if (f.type === FRAME_END || f.type === FRAME_ERROR) socket.pause()
    }

    const frames = new FrameStream((view: DataView, off: number, f: FrameView) => {
      if (pending !== null) keepFrame(view, off, f)
      else printFrame(view, off, f)
    })

    // The collector subscribed this tail before it sent the first frame (the channel):
    // from here on, what the history does not hold comes live (seam.ts).
    const startHistory = (): void => {
      readBacklog({
        out: opts.out!,
        spool: opts.spool,
        lines: opts.lines ?? DEFAULT_LINES,
        since: opts.since,
        filter: filterOf(opts),
        liveCount: () => pendingRecords,
      }, h => seam!.inLive(h)).then(items => {
        if (ended) return
        printHistory(items)
        const kept = pending!
        pending = null
        const replay = new FrameStream(printFrame)
        for (const b of kept) replay.push(b)
        if (closed) socket.emit('close')
        else if (!ended && flush()) socket.resume()
        else if (!ended) out.once('drain', () => socket.resume())
      }, (e: Error) => fail(new CliFailure(`reading the history in ${opts.out!}: ${e.message}`)))
    }

    const printHistory = (items: readonly HistoryItem[]): void => {
      lines = lines.concat(historyLines(items, opts.json, lineOpts))
      seam!.printed(items.filter(h => h.loss === undefined))
    }

    const flush = (): boolean => {
      if (lines.length === 0) return true
      const text = lines.join('\n') + '\n'
      lines = []
      return out.write(text)
    }

    socket.on('connect', () => socket.write(helloLine(filterOf(opts))))
    socket.on('data', (chunk: Buffer) => {
      if (ended) return
      try {
        frames.push(chunk)
      } catch (e) {
        fail(new CliFailure((e as Error).message))
        return
      }
      if (pending !== null) {
        if (pendingBytes > BACKLOG_BUFFER_BYTES) socket.pause()
        return
      }
      if (!ended && !flush()) {
        socket.pause()
        out.once('drain', () => socket.resume())
      }
    })
    socket.on('error', (e: NodeJS.ErrnoException) => {
      // no collector: consume the channel directly (direct.ts)
      if ((e.code === 'ENOENT' || e.code === 'ECONNREFUSED') && stop()) {
        followChannel(opts, opts.channel ?? DEFAULT_CHANNEL_DIR, out, err).then(resolve, reject)
        return
      }
      fail(connectFailure(e, opts.socket))
    })
    socket.on('close', () => {
      closed = true
      if (pending !== null) return // the end comes after the history
      flush()
      finish(1, 'the collector closed the connection without an end (was it killed?)')
    })
  })
}

export function filterOf (opts: TailOptions): LiveFilterSpec {
  const f: LiveFilterSpec = {}
  if (opts.cpu !== undefined) f.cpu = opts.cpu
  if (opts.level !== undefined) f.level = opts.level
  if (opts.type !== undefined) f.type = opts.type
  if (opts.pid !== undefined) f.pid = opts.pid
  if (opts.comm !== undefined) f.comm = opts.comm
  if (opts.grep !== undefined) f.grep = opts.grep
  return f
}

function connectFailure (e: NodeJS.ErrnoException, socketPath: string): CliFailure {
  switch (e.code) {
    case 'ENOENT':
    case 'ECONNREFUSED':
      return new CliFailure(`no collector is running: nothing serves ${socketPath} (start krelay collect, or give --socket the path of its --live-socket; following the channel without a collector is not supported yet)`)
    case 'EACCES':
      return new CliFailure(`permission denied on ${socketPath}: only root or the group the collector names (--live-group) may watch`)
    default:
      return new CliFailure(`${socketPath}: ${e.message}`)
  }
}
