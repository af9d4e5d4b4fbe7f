// capture-host: the collector's capture alone on the simulator, against read() of the
// same bytes into a file.
//
//   node --import tsx bench/capture-host.ts [--quick]
//
// The simulator has the module's defaults (8 x 256 KiB per CPU) and 4 CPUs. Both sides
// consume it in rounds, as a collector consumes a running module: the generator fills up
// to 7 sub-buffers of each CPU (ROUND records, untimed), then the consumer takes them
// (timed). The ring is reused lap after lap, so each mapped page is faulted in once, as in a
// collector that keeps its mapping for months (with a ring as large as the whole run, the
// first touch of each page cost about as much as the capture itself: 1 us a page, here).
//   read()   what blktrace does with a relay file: read() each sub-buffer's committed
//            bytes (header included: the spool's block) and write() them to a file; the
//            simulator then counts them consumed, as relay's read() does.
//   capture  the collector's hot path as collect.ts drives it, without the pipeline:
//            ChannelReader maps each CPU, finds each complete sub-buffer and checks its
//            header (capture walks no record: the archive worker does, collector/collect/
//            capture.ts), SpoolWriter appends it to a capture segment with its CRC32C frame, and
//            the ack is written to the control file (the simulator applies it untimed, as
//            the module applies it in the kernel).
// Both write to the same filesystem (os.tmpdir()); the clock stops after the last write
// (and ack), before the fsync at close that both do: that fsync times the disk, shared
// with whatever else runs, not the capture. Times are CPU times (user + system: the
// writes into the page cache are system time), as the machine is shared. Printed too,
// without a goal: capture with the collector's default --fsync 1000, and what a pass that
// finds nothing costs with 64 CPUs (stats read and parsed, every CPU looked at: the part
// of a pass that grows with the CPUs). After a warm-up, best of REPEATS runs, each on a
// fresh simulator.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { CaptureMeta } from '../formats/capture.ts'
import { SUBBUF_HDR, SUBBUF_HDR_SIZE } from '../formats/wire.ts'
import { RelaySim } from '../collector/sim/relay-sim.ts'
import { openChannel } from '../collector/source/channel.ts'
import { ChannelReader } from '../collector/source/reader.ts'
import { SpoolWriter, type FsyncPolicy } from '../collector/spool/spool-writer.ts'
import { cpuMs } from './cpu-time.ts'
import { goalLine, isQuick, millions } from './goal.ts'

const QUICK = isQuick()
const CPUS = 4
const PER_CPU = QUICK ? 200_000 : 1_000_000
const REPEATS = QUICK ? 2 : 3
const SUBBUF = 256 * 1024
/** the module's default */
const N_SUBBUFS = 8
/** generator records per CPU per round: at most 7 sub-buffers (records are at most 128 bytes), so the ring never drops */
const ROUND = Math.floor((N_SUBBUFS - 1) * SUBBUF / 128)
const cpus = [...Array(CPUS).keys()]

interface Run { ms: number, bytes: number, records: number }

/** The simulator with its generator started; each next() writes one round of records. */
class Producer {
  readonly sim = new RelaySim({ cpus, subbufSize: SUBBUF, nSubbufs: N_SUBBUFS, staleFill: false })
  private left: number

  constructor (perCpu: number) {
    this.left = perCpu
    this.sim.startGen(perCpu)
  }

  /**
   * Applies what the consumer did (its acks in the control file, or its reads), then writes
   * the next round; the last round ends with a flush. False once nothing is left to write.
   */
  next (consumedByRead: boolean): boolean {
    const { sim } = this
    if (consumedByRead) for (const cpu of cpus) sim.cpu(cpu).relayRead()
    const refused = sim.pumpControl()
    if (refused.length > 0) throw new Error(`the simulator refused an ack: ${refused[0]!.message}`)
    if (this.left === 0) return false
    this.left = sim.genStep(ROUND)
    if (this.left === 0) sim.flush()
    sim.publishStats()
    for (const cpu of cpus) if (sim.cpu(cpu).dropped > 0) throw new Error('the simulated ring dropped: ROUND is too large')
    return true
  }
}

function scratch (): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'krelay-bench-capture-'))
}

/** read() each complete sub-buffer's bytes from cpu<N>, write() them to one file, fsync. */
function readIntoFile (perCpu = PER_CPU): Run {
  const dir = scratch()
  const producer = new Producer(perCpu)
  const { sim } = producer
  const buf = Buffer.allocUnsafe(SUBBUF)
  const next = cpus.map(() => 1)
  let bytes = 0
  let records = 0
  let t0 = cpuMs()
  const out = fs.openSync(path.join(dir, 'read.bin'), 'w')
  const fds = cpus.map(cpu => fs.openSync(sim.cpuPath(cpu), 'r'))
  let ms = cpuMs() - t0
  while (producer.next(true)) {
    t0 = cpuMs()
    for (const cpu of cpus) {
      const produced = sim.cpu(cpu).produced
      for (; next[cpu]! <= produced; next[cpu]!++) {
        const slot = sim.slotOffset(next[cpu]!)
        // relay's read() knows where a sub-buffer's data ends; here the header says it
        fs.readSync(fds[cpu]!, buf, 0, SUBBUF_HDR_SIZE, slot)
        const len = SUBBUF_HDR_SIZE + buf.readUInt32LE(SUBBUF_HDR.committed.offset)
        records += buf.readUInt32LE(SUBBUF_HDR.nrecords.offset)
        fs.readSync(fds[cpu]!, buf, SUBBUF_HDR_SIZE, len - SUBBUF_HDR_SIZE, slot + SUBBUF_HDR_SIZE)
        fs.writeSync(out, buf, 0, len)
        bytes += len
      }
    }
    ms += cpuMs() - t0
  }
  for (const fd of fds) fs.closeSync(fd)
  fs.fsyncSync(out)
  fs.closeSync(out)
  sim.destroy()
  fs.rmSync(dir, { recursive: true })
  return { ms, bytes, records }
}

/** The collector's capture: map, check, spool, ack, a pass per round. */
async function capture (fsync: FsyncPolicy, perCpu = PER_CPU): Promise<Run> {
  const dir = scratch()
  const producer = new Producer(perCpu)
  const { sim } = producer
  const meta: CaptureMeta = {
    channelId: sim.channelId,
    monoToRealtimeNs: '1764032400123456789',
    createdRealtimeNs: (BigInt(Date.now()) * 1000000n).toString(),
    abiVersion: 1,
    subbufSize: SUBBUF,
    host: 'bench',
  }
  let bytes = 0
  let records = 0
  let t0 = cpuMs()
  const spool = new SpoolWriter(dir, { fsync, segmentBytes: 64 << 20, segmentAgeMs: 300_000 }, 1, () => {})
  spool.open(meta)
  const reader = new ChannelReader(openChannel(sim.dir), {
    onRawSubbuf: sub => {
      spool.append(sub.cpu, sub.bytes, 0, sub.seq)
      bytes += sub.bytes.length
      records += sub.header.nrecords
    },
    onRound: () => { if (spool.shouldRotate()) spool.open(meta) },
  })
  let ms = cpuMs() - t0
  while (producer.next(false)) {
    t0 = cpuMs()
    const pass = await reader.pass()
    ms += cpuMs() - t0
    if (pass.more) throw new Error('a pass left complete sub-buffers behind')
  }
  spool.close()
  reader.close()
  sim.destroy()
  fs.rmSync(dir, { recursive: true })
  return { ms, bytes, records }
}

/** CPU time of a pass that finds nothing, with 64 CPUs, in us. */
async function emptyPass (): Promise<number> {
  const sim = new RelaySim({ cpus: [...Array(64).keys()], subbufSize: SUBBUF, nSubbufs: N_SUBBUFS, staleFill: false })
  const reader = new ChannelReader(openChannel(sim.dir), { onRawSubbuf: () => {} })
  const passes = QUICK ? 2000 : 20_000
  for (let i = 0; i < passes / 10; i++) await reader.pass()
  const t0 = cpuMs()
  for (let i = 0; i < passes; i++) await reader.pass()
  const us = (cpuMs() - t0) * 1000 / passes
  reader.close()
  sim.destroy()
  return us
}

function show (name: string, r: Run): void {
  console.log(`${name.padEnd(17)} ${millions(r.records / (r.ms / 1000), 'records/s').padStart(18)}  ${(r.bytes / r.ms / 1000).toFixed(0).padStart(5)} MB/s  ${r.ms.toFixed(0).padStart(6)} ms`)
}

function best (runs: Run[]): Run {
  return runs.reduce((a, b) => (b.ms < a.ms ? b : a))
}

console.log(`capture-host: ${CPUS} CPUs x ${PER_CPU} generator records, ${N_SUBBUFS} x ${SUBBUF / 1024} KiB sub-buffers per CPU, ${ROUND} records per CPU a round, spool in ${os.tmpdir()}, best of ${REPEATS}`)
// warm-up: the JIT compiles the reader's hot path before anything is timed
readIntoFile(50_000)
await capture('never', 50_000)
const reads: Run[] = []
const captures: Run[] = []
const periodic: Run[] = []
for (let i = 0; i < REPEATS; i++) {
  reads.push(readIntoFile())
  captures.push(await capture('never'))
  periodic.push(await capture(1000))
}
const read = best(reads)
const cap = best(captures)
if (cap.bytes !== read.bytes || cap.records !== read.records || cap.records !== CPUS * PER_CPU) {
  throw new Error(`capture took ${cap.records} records in ${cap.bytes} bytes, read() ${read.records} in ${read.bytes}`)
}
show('read() + write()', read)
show('capture', cap)
show('capture fsync 1s', best(periodic))
console.log(`empty pass, 64 CPUs ${(await emptyPass()).toFixed(1).padStart(8)} us`)
const rate = cap.records / (cap.ms / 1000)
const ratio = read.ms / cap.ms
console.log(goalLine({
  name: 'capture-host',
  figure: `${millions(rate, 'records/s')} (${(cap.bytes / cap.ms / 1000).toFixed(0)} MB/s)`,
  ratio,
  baseline: 'read() of the same bytes into a file',
  goal: '>= 0.5x',
  met: ratio >= 0.5,
}))
