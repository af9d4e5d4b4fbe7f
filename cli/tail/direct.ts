// krelay tail with no collector: consumes the channel itself, as the collector does (the
// same reader, claim, acks and merge), filters and prints what the merge releases. Nothing
// is spooled or archived, and the user is told so once. The claim (PROTOCOL.md §6.1) is
// released at a clean stop; a channel another process holds is refused naming it.
import { Merge } from '../../collector/merge/merge.ts'
import { LiveFilter } from '../../collector/live/filter.ts'
import { createLossRow, fillLossRow } from '../../collector/collect/loss-row.ts'
import { lapMessage } from '../../collector/source/lap.ts'
import { ChannelReader } from '../../collector/source/reader.ts'
import { openChannel } from '../../collector/source/channel.ts'
import { CONSUMER_TAIL } from '../../collector/source/consumer.ts'
import { ChannelError } from '../../collector/source/errors.ts'
import { flushChannel } from '../../collector/source/flush.ts'
import { dataView } from '../../formats/bytes.ts'
import { recordSeq, recordTsHi, recordTsLo } from '../../formats/record.ts'
import { CliFailure, EXIT_OK } from '../errors.ts'
import { DEFAULT_LINES, type TailOptions } from '../tail.ts'
import { readBacklog } from './backlog.ts'
import { historyLines } from './history-lines.ts'
import { Seam } from './seam.ts'
import { useColor } from './color.ts'
import { filterOf } from './follow.ts'
import { lossJson, recordJson } from './json.ts'
import { lossLine, recordLine, type ChannelInfo, type LineOptions } from './lines.ts'

export async function followChannel (opts: TailOptions, dir: string, out: NodeJS.WriteStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const lineOpts: LineOptions = { time: opts.time, color: useColor(opts.color, out.isTTY === true, process.env) }
  const filter = new LiveFilter(filterOf(opts))
  let channel
  let reader: ChannelReader
  let merge: Merge
  const loss = createLossRow()
  // per CPU, the last record seen, for loss rows (as the pipeline keeps it)
  const last = new Map<number, { seq: number, tsHi: number, tsLo: number }>()
  let lines: string[] = []
  const seam = new Seam()
  try {
    channel = openChannel(dir)
    const ch: ChannelInfo = { channelId: channel.info.channelId ?? '', monoToRealtimeNs: channel.info.monoToRealtimeNs }
    merge = new Merge((view, off, cpu) => {
      if (filter.accepts(view, off, cpu) && !seam.printedBefore(ch.channelId, cpu, recordSeq(view, off))) lines.push(opts.json ? recordJson(view, off, cpu, ch) : recordLine(view, off, cpu, ch, lineOpts))
    })
    for (const cpu of channel.info.cpus) merge.addCpu(cpu)
    reader = new ChannelReader(channel, {
      claimAs: CONSUMER_TAIL,
      onLap: lap => err.write(`krelay tail: ${lapMessage(lap)}\n`),
      onSubbuf: sub => {
        let pos = last.get(sub.cpu)
        if (pos === undefined) last.set(sub.cpu, pos = { seq: 0, tsHi: 0, tsLo: 0 })
        // losses are printed when found, before the records of the same pass
        for (const l of sub.losses) {
          if (!filter.wantsCpu(sub.cpu)) break
          fillLossRow(loss, l, sub.header, pos)
          lines.push(opts.json ? lossJson(loss, ch) : lossLine(loss, ch, lineOpts))
        }
        if (sub.recordsEnd > sub.recordsStart) {
          const own = Buffer.from(sub.bytes)
          const view = dataView(own)
          let lastOff = sub.recordsStart
          for (let o = sub.recordsStart; o < sub.recordsEnd; o += view.getUint32(o, true)) lastOff = o
          pos.seq = recordSeq(view, lastOff)
          pos.tsHi = recordTsHi(view, lastOff)
          pos.tsLo = recordTsLo(view, lastOff)
          merge.addCpu(sub.cpu)
          merge.push(sub.cpu, view, sub.recordsStart, sub.recordsEnd)
        }
        merge.setWatermark(sub.cpu, sub.header.watermarkHi, sub.header.watermarkLo)
      },
      onRound: async round => {
        for (const w of round.watermarks) {
          merge.addCpu(w.cpu)
          merge.setWatermark(w.cpu, w.hi, w.lo)
        }
        merge.release(round.final ? 'all' : 'watermark')
        await write()
      },
    })
  } catch (e) {
    if (!(e instanceof ChannelError)) throw e
    if (e.code === 'claimed') throw new CliFailure(e.message)
    throw new CliFailure(`no collector is running: nothing serves ${opts.socket} (start krelay collect, or give --socket the path of its --live-socket), and the channel cannot be read directly: ${e.message}`)
  }
  err.write(`krelay tail: no collector is running (nothing serves ${opts.socket}): reading the channel directly; these records are not archived\n`)
  // -n / --since with --out: what a collector archived or spooled before comes first. The
  // tail has claimed the channel, so nothing is consumed meanwhile: what it reads next
  // follows the history, but for sub-buffers a collector spooled and never acknowledged
  // (it died), which the seam drops as printed.
  const lineCount = opts.lines ?? DEFAULT_LINES
  if (opts.out !== undefined && (opts.since !== undefined || lineCount > 0)) {
    try {
      const items = await readBacklog({ out: opts.out, spool: opts.spool, lines: lineCount, since: opts.since, filter: filterOf(opts), liveCount: () => 0 }, () => false)
      lines = historyLines(items, opts.json, lineOpts)
      seam.printed(items.filter(h => h.loss === undefined))
    } catch (e) {
      reader.release()
      throw new CliFailure(`reading the history in ${opts.out}: ${(e as Error).message}`)
    }
  }
  const write = async (): Promise<void> => {
    if (lines.length === 0) return
    const text = lines.join('\n') + '\n'
    lines = []
    if (!out.write(text)) await new Promise(resolve => out.once('drain', resolve))
  }
  out.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') {
      reader.release()
      process.exit(EXIT_OK)
    }
  })
  const stop = new AbortController()
  const onSignal = (): void => stop.abort()
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    const ended = await reader.run(stop.signal)
    if (ended === 'stopped') {
      // as the collector stops (PROTOCOL.md §8): take what the kernel holds, then release
      try {
        await flushChannel(channel)
        for (;;) {
          const pass = await reader.pass()
          if (pass.subbufs === 0 && !pass.more) break
        }
      } catch (e) {
        if (!(e instanceof ChannelError)) throw e
      }
      reader.release()
      merge.release('all')
      await write()
      return EXIT_OK
    }
    merge.release('all')
    await write()
    err.write(`krelay tail: the krelay module was ${ended}\n`)
    return EXIT_OK
  } catch (e) {
    if (e instanceof ChannelError) throw new CliFailure(e.message)
    throw e
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    reader.close()
  }
}
