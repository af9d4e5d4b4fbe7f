// capture-host: the collector's capture alone on the simulator, against read() of the
// same bytes into a file.
//
//   node --import tsx bench/capture-host.ts [--quick]
//
// The simulator (module defaults: 256 KiB sub-buffers; 4 CPUs, enough of them to hold the
// whole run) is filled with generator records before anything is timed. Then, on the
// same bytes:
//   read()   what blktrace does with a relay file: read() each sub-buffer's committed
//            bytes (header included: the spool's block) and write() them to a file.
//   capture  the collector's hot path as collect.ts drives it, without the pipeline:
//            ChannelReader maps each CPU, finds each complete sub-buffer, validates its
//            header and every record, SpoolWriter appends it to a capture segment, then
//            the ack.
// Both write to the same filesystem (os.tmpdir()); the clock stops after the last write
// (and ack), before the fsync at close that both do: that fsync times the disk, shared
// with whatever else runs, not the capture. Times are CPU times (user + system: the
// writes into the page cache are system time), as the machine is shared. Printed too, without a goal: capture with the copy of each sub-buffer that
// collect.ts makes for the pipeline (Buffer.from), and with the collector's default
// --fsync 1000. After a warm-up, best of REPEATS rounds, each on fresh simulators.
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
const cpus = [...Array(CPUS).keys()]

interface Run { ms: number, bytes: number, records: number }

function filledSim (perCpu = PER_CPU): RelaySim {
  const nSubbufs = Math.ceil(perCpu * 128 / SUBBUF) + 2
  const sim = new RelaySim({ cpus, subbufSize: SUBBUF, nSubbufs, staleFill: false })
  sim.runGen(perCpu)
  sim.flush()
  for (const cpu of cpus) if (sim.cpu(cpu).dropped > 0) throw new Error('the simulated buffer is too small for the benchmark')
  return sim
}

function scratch (): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'krelay-bench-capture-'))
}

/** read() each complete sub-buffer's bytes from cpu<N>, write() them to one file, fsync. */
function readIntoFile (sim: RelaySim): Run {
  const dir = scratch()
  const buf = Buffer.allocUnsafe(SUBBUF)
  const t0 = cpuMs()
  const out = fs.openSync(path.join(dir, 'read.bin'), 'w')
  let bytes = 0
  let records = 0
  for (const cpu of cpus) {
    const fd = fs.openSync(sim.cpuPath(cpu), 'r')
    const produced = sim.cpu(cpu).produced
    for (let seq = 1; seq <= produced; seq++) {
      const slot = sim.slotOffset(seq)
      // relay's read() knows where a sub-buffer's data ends; here the header says it
      fs.readSync(fd, buf, 0, SUBBUF_HDR_SIZE, slot)
      const len = SUBBUF_HDR_SIZE + buf.readUInt32LE(SUBBUF_HDR.committed.offset)
      records += buf.readUInt32LE(SUBBUF_HDR.nrecords.offset)
      fs.readSync(fd, buf, SUBBUF_HDR_SIZE, len - SUBBUF_HDR_SIZE, slot + SUBBUF_HDR_SIZE)
      fs.writeSync(out, buf, 0, len)
      bytes += len
    }
    fs.closeSync(fd)
  }
  const ms = cpuMs() - t0
  fs.fsyncSync(out)
  fs.closeSync(out)
  fs.rmSync(dir, { recursive: true })
  return { ms, bytes, records }
}

/** The collector's capture: map, validate, spool, ack, until nothing is left. */
async function capture (sim: RelaySim, fsync: FsyncPolicy, copy: boolean): Promise<Run> {
  const dir = scratch()
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
  const t0 = cpuMs()
  const spool = new SpoolWriter(dir, { fsync, segmentBytes: 64 << 20, segmentAgeMs: 300_000 }, 1, () => {})
  spool.open(meta)
  const reader = new ChannelReader(openChannel(sim.dir), {
    acker: sim.acker,
    onSubbuf: sub => {
      // collect.ts copies: the pipeline keeps the bytes past the ack
      const own = copy ? Buffer.from(sub.bytes) : sub.bytes
      spool.append(sub.cpu, own, sub.lastRecordSeq)
      bytes += own.length
      records += sub.records
    },
    onRound: () => { if (spool.shouldRotate()) spool.open(meta) },
  })
  for (;;) {
    const pass = await reader.pass()
    if (pass.subbufs === 0 && !pass.more) break
  }
  const ms = cpuMs() - t0
  spool.close()
  reader.close()
  fs.rmSync(dir, { recursive: true })
  return { ms, bytes, records }
}

function show (name: string, r: Run): void {
  console.log(`${name.padEnd(17)} ${millions(r.records / (r.ms / 1000), 'records/s').padStart(18)}  ${(r.bytes / r.ms / 1000).toFixed(0).padStart(5)} MB/s  ${r.ms.toFixed(0).padStart(6)} ms`)
}

function best (runs: Run[]): Run {
  return runs.reduce((a, b) => (b.ms < a.ms ? b : a))
}

console.log(`capture-host: ${CPUS} CPUs x ${PER_CPU} generator records, ${SUBBUF / 1024} KiB sub-buffers, spool in ${os.tmpdir()}, best of ${REPEATS}`)
{ // warm-up: the JIT compiles the reader's hot path before anything is timed
  const sim = filledSim(20_000)
  readIntoFile(sim)
  await capture(sim, 'never', true)
  sim.destroy()
}
const reads: Run[] = []
const captures: Run[] = []
const copied: Run[] = []
const periodic: Run[] = []
for (let i = 0; i < REPEATS; i++) {
  let sim = filledSim()
  reads.push(readIntoFile(sim))
  captures.push(await capture(sim, 'never', false))
  sim.destroy()
  sim = filledSim()
  copied.push(await capture(sim, 'never', true))
  sim.destroy()
  sim = filledSim()
  periodic.push(await capture(sim, 1000, false))
  sim.destroy()
}
const read = best(reads)
const cap = best(captures)
if (cap.bytes !== read.bytes || cap.records !== read.records || cap.records !== CPUS * PER_CPU) {
  throw new Error(`capture took ${cap.records} records in ${cap.bytes} bytes, read() ${read.records} in ${read.bytes}`)
}
show('read() + write()', read)
show('capture', cap)
show('capture + copy', best(copied))
show('capture fsync 1s', best(periodic))
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
