// Follows the collector's live socket: sends the hello, decodes frames, prints lines.
// stdout sets the pace: while a write waits, the socket is not read, and the collector
// skips records for this tail (and says how many) rather than wait for it.
import net from 'node:net'
import { createLossRow } from '../../collector/collect/loss-row.ts'
import {
  FRAME_CHANNEL, FRAME_END, FRAME_ERROR, FRAME_LOSS, FRAME_RECORD, FRAME_SKIPPED, frameChannelId, frameMonoToRealtimeNs,
  frameRecordOffset, frameSkipped, frameText, readLossFrame, type FrameView,
} from '../../formats/live.ts'
import { helloLine, type LiveFilterSpec } from '../../formats/live-hello.ts'
import { CliFailure, EXIT_OK } from '../errors.ts'
import type { TailOptions } from '../tail.ts'
import { useColor } from './color.ts'
import { FrameStream } from './frames.ts'
import { lossJson, recordJson, skippedJson } from './json.ts'
import { lossLine, recordLine, skippedLine, type ChannelInfo, type LineOptions } from './lines.ts'

/** Resolves with the exit status once the stream ends; rejects with a CliFailure. */
export function followLive (opts: TailOptions, out: NodeJS.WriteStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  return new Promise((resolve, reject) => {
    const lineOpts: LineOptions = { time: opts.time, color: useColor(opts.color, out.isTTY === true, process.env) }
    const loss = createLossRow()
    let ch: ChannelInfo = { channelId: '', monoToRealtimeNs: 0n }
    let lines: string[] = []
    let ended = false
    const socket = net.createConnection(opts.socket)

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

    const frames = new FrameStream((view: DataView, off: number, f: FrameView) => {
      switch (f.type) {
        case FRAME_RECORD: {
          const rec = frameRecordOffset(off)
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
    })

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
      if (!ended && !flush()) {
        socket.pause()
        out.once('drain', () => socket.resume())
      }
    })
    socket.on('error', (e: NodeJS.ErrnoException) => fail(connectFailure(e, opts.socket)))
    socket.on('close', () => {
      flush()
      finish(1, 'the collector closed the connection without an end (was it killed?)')
    })
  })
}

function filterOf (opts: TailOptions): LiveFilterSpec {
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
