// The consumer loop against the simulator: exactly once, in order, drops, stale laps,
// corruption, ABI changes, ack after hand-off, restart, unload, watermarks.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { SUBBUF_HDR, RECORD_HDR, SUBBUF_HDR_SIZE } from '../../../formats/wire.ts'
import { HEADER_BAD_MAGIC, HEADER_OK } from '../../../formats/subbuf-header.ts'
import { createRecordView, RECORD_LEN_UNALIGNED } from '../../../formats/record.ts'
import { compareU64, u64ToBigInt } from '../../../formats/u64.ts'
import { openChannel } from '../../../collector/source/channel.ts'
import { ChannelReader, SLICE_MS } from '../../../collector/source/reader.ts'
import type { CompleteSubbuf, RawSubbuf, ReaderOptions, Round } from '../../../collector/source/reader-options.ts'
import { forEachRecord, type LossEvent } from '../../../collector/source/records.ts'
import { GenVerifier } from '../../../collector/source/verify-gen.ts'
import { controlFileAcker } from '../../../collector/source/ack.ts'
import { ChannelError, DEFAULT_SYSTEM_PATHS } from '../../../collector/source/errors.ts'
import { RelaySim, type SimOptions } from '../../../collector/sim/relay-sim.ts'

const sims: RelaySim[] = []
after(() => { for (const sim of sims) sim.destroy() })

function makeSim (options: SimOptions = {}): RelaySim {
  const sim = new RelaySim({ subbufSize: 2048, nSubbufs: 4, ...options })
  sims.push(sim)
  return sim
}

/** Sub-buffers as seen in the callback (records copied out while the bytes are valid). */
interface Seen { cpu: number, seq: number, records: number[], losses: LossEvent[], fault: CompleteSubbuf['fault'] }

function collector (sim: RelaySim, options: Partial<ReaderOptions> = {}) {
  const seen: Seen[] = []
  const rounds: Round[] = []
  const rec = createRecordView()
  const reader = new ChannelReader(openChannel(sim.dir), {
    acker: sim.acker,
    onSubbuf (sub) {
      const records: number[] = []
      forEachRecord(sub.view, sub.recordsStart, sub.recordsEnd, rec, (r) => records.push(r.seq))
      seen.push({ cpu: sub.cpu, seq: sub.seq, records, losses: sub.losses, fault: sub.fault })
    },
    onRound: (round) => { rounds.push(round) },
    ...options,
  })
  return { reader, seen, rounds }
}

test('a generator run on 3 CPUs over many laps arrives exactly once, in order, exact content', async () => {
  const sim = makeSim({ cpus: [0, 1, 2] })
  const count = 20000
  const run = sim.startGen(count)
  const verifier = new GenVerifier(run, count, [0, 1, 2])
  let subbufs = 0
  const reader = new ChannelReader(openChannel(sim.dir), {
    acker: sim.acker,
    onSubbuf: (sub) => { subbufs++; verifier.addSubbuf(sub) },
  })
  while (sim.genStep(40) > 0) {
    await reader.pass()
    if (Math.random() < 0.3) sim.flush()
  }
  sim.flush()
  await reader.pass()
  const report = verifier.report()
  assert.deepEqual(report.problems, [])
  assert.ok(report.ok)
  for (const cpu of report.cpus) assert.equal(cpu.received, count)
  assert.ok(subbufs > 3 * 4 * 10, `only ${subbufs} sub-buffers: too few laps`)
  for (const c of sim.cpus.values()) {
    assert.equal(c.dropped, 0)
    assert.equal(c.consumed, c.produced, 'everything acknowledged')
  }
})

test('a consumer that stops acking sees drops equal to the counters, as a seq gap of that size', async () => {
  const sim = makeSim({ cpus: [0] })
  let acking = true
  const { reader, seen } = collector(sim, { acker: { ack: (cpu, seq) => { if (acking) sim.ack(cpu, seq) } } })
  const run = sim.startGen(3000)
  for (let i = 0; i < 10; i++) {
    sim.genStep(10)
    await reader.pass()
  }
  sim.flush()
  await reader.pass()
  assert.equal(sim.cpu(0).dropped, 0)
  acking = false
  sim.genStep(400) // fills the 4 sub-buffers, then drops
  sim.flush()
  await reader.pass() // reads what is complete, acks nothing
  const dropped = sim.cpu(0).dropped
  assert.ok(dropped > 0, 'the buffer overflowed')
  const lastBeforeGap = seen.at(-1)!.records.at(-1)!
  acking = true
  sim.ack(0, sim.cpu(0).produced) // a late ack, as the consumer recovers
  sim.genStep(3000)
  sim.flush()
  await reader.pass()
  const losses = seen.flatMap((s) => s.losses)
  assert.deepEqual(losses, [{ cpu: 0, subbufSeq: losses[0]!.subbufSeq, firstSeq: lastBeforeGap + 1, count: dropped, reason: 'dropped' }])
  const gapAt = seen.findIndex((s) => s.losses.length > 0)
  assert.equal(seen[gapAt]!.records[0], lastBeforeGap + dropped + 1, 'first record after the gap')
  const verifier = new GenVerifier(run, 3000, [0])
  for (const loss of losses) verifier.addLoss(loss)
  // the verifier, fed from a second pass over the same records, counts the same loss
  const cpu = verifier.report().cpus[0]!
  assert.equal(cpu.dropped, dropped)
})

test('the verifier sees the missing generator indexes match the drops', async () => {
  const sim = makeSim({ cpus: [0, 1] })
  const run = sim.startGen(2000)
  const verifier = new GenVerifier(run, 2000, [0, 1])
  const reader = new ChannelReader(openChannel(sim.dir), { acker: sim.acker, onSubbuf: (sub) => verifier.addSubbuf(sub) })
  sim.genStep(1000) // nobody reads: 4 sub-buffers kept, the rest dropped
  while (sim.genStep(10) > 0) await reader.pass()
  sim.flush()
  await reader.pass()
  const report = verifier.report()
  assert.equal(report.ok, false)
  for (const cpu of report.cpus) {
    assert.equal(cpu.dropped, sim.cpu(cpu.cpu).dropped)
    assert.equal(cpu.missingCount, cpu.dropped)
    assert.equal(cpu.missing.length, 1)
    assert.equal(cpu.duplicates + cpu.outOfOrder + cpu.badContent + cpu.seqNotIncreasing, 0)
  }
  assert.match(report.problems[0]!, /cpu 0: \d+ of 2000 records missing \(indexes \d+-\d+\); reader reported \d+ dropped, 0 corrupt/)
})

test('stale laps are never mistaken for data: passes after catching up take nothing', async () => {
  const sim = makeSim({ cpus: [0] })
  const { reader, seen } = collector(sim)
  for (let i = 0; i < 30; i++) {
    sim.writeText(0, `line ${i} `.padEnd(200, '.'))
    if (i % 3 === 0) sim.flush()
    await reader.pass()
  }
  sim.flush()
  await reader.pass()
  const taken = seen.length
  assert.ok(sim.cpu(0).produced >= 8, 'more than one lap')
  for (let i = 0; i < 5; i++) assert.equal((await reader.pass()).subbufs, 0)
  sim.writeText(0, 'one more')
  assert.equal((await reader.pass()).subbufs, 0, 'the open sub-buffer is not taken')
  assert.equal(seen.length, taken)
  assert.deepEqual(seen.flatMap((s) => s.records), Array.from({ length: 30 }, (_, i) => i + 1))
  assert.deepEqual(seen.map((s) => s.seq), Array.from({ length: taken }, (_, i) => i + 1))
})

test('a corrupt record: records before it kept, the rest lost as corrupt, acked, and reading goes on', async () => {
  const sim = makeSim({ cpus: [0] })
  const { reader, seen } = collector(sim)
  for (let i = 0; i < 5; i++) sim.writeText(0, `record ${i}`)
  sim.flush()
  const at = sim.slotOffset(1) + SUBBUF_HDR_SIZE + 2 * 56 // third record (each is 56 bytes)
  sim.mapping(0).writeUInt32LE(65, at + RECORD_HDR.len.offset)
  for (let i = 5; i < 8; i++) sim.writeText(0, `record ${i}`)
  sim.flush()
  await reader.pass()
  assert.deepEqual(seen.map((s) => s.records), [[1, 2], [6, 7, 8]])
  assert.deepEqual(seen[0]!.fault, { where: 'record', status: RECORD_LEN_UNALIGNED, description: 'len not a multiple of 8', offset: SUBBUF_HDR_SIZE + 112 })
  assert.deepEqual(seen[0]!.losses, [{ cpu: 0, subbufSeq: 1, firstSeq: 3, count: 3, reason: 'corrupt' }])
  assert.deepEqual(seen[1]!.losses, [])
  assert.equal(sim.cpu(0).consumed, 2)
})

test('a corrupt header: nothing trusted, acked, and the next sub-buffer reports the exact loss', async () => {
  const sim = makeSim({ cpus: [0] })
  const { reader, seen } = collector(sim)
  for (const n of [3, 4, 2]) {
    for (let i = 0; i < n; i++) sim.writeText(0, 'x')
    sim.flush()
  }
  sim.mapping(0).writeUInt32LE(0, sim.slotOffset(2) + SUBBUF_HDR.magic.offset)
  await reader.pass()
  assert.deepEqual(seen.map((s) => s.records), [[1, 2, 3], [], [8, 9]])
  assert.equal(seen[1]!.fault?.where, 'header')
  assert.equal(seen[1]!.fault?.status, HEADER_BAD_MAGIC)
  assert.deepEqual(seen[2]!.losses, [{ cpu: 0, subbufSeq: 3, firstSeq: 4, count: 4, reason: 'corrupt' }])
  assert.equal(sim.cpu(0).consumed, 3)
})

test('onRawSubbuf: every sub-buffer handed on as it lies, header checked, records not judged; all acknowledged', async () => {
  const sim = makeSim({ cpus: [0] })
  const seen: Array<Omit<RawSubbuf, 'bytes' | 'header'> & { bytes: Buffer, nrecords: number }> = []
  const reader = new ChannelReader(openChannel(sim.dir), {
    acker: sim.acker,
    onRawSubbuf: (sub) => { seen.push({ cpu: sub.cpu, seq: sub.seq, status: sub.status, bytes: Buffer.from(sub.bytes), nrecords: sub.header.nrecords }) },
  })
  for (const n of [5, 4, 2]) {
    for (let i = 0; i < n; i++) sim.writeText(0, `record ${i}`)
    sim.flush()
  }
  // a damaged record in sub-buffer 1 (not looked at), a damaged header in sub-buffer 2
  sim.mapping(0).writeUInt32LE(65, sim.slotOffset(1) + SUBBUF_HDR_SIZE + 2 * 56 + RECORD_HDR.len.offset)
  sim.mapping(0).writeUInt32LE(0, sim.slotOffset(2) + SUBBUF_HDR.magic.offset)
  const slot1 = Buffer.from(sim.mapping(0).subarray(sim.slotOffset(1), sim.slotOffset(1) + SUBBUF_HDR_SIZE + 5 * 56))
  await reader.pass()
  assert.deepEqual(seen.map(s => [s.cpu, s.seq, s.status, s.bytes.length, s.nrecords]),
    [[0, 1, HEADER_OK, SUBBUF_HDR_SIZE + 5 * 56, 5], [0, 2, HEADER_BAD_MAGIC, SUBBUF_HDR_SIZE, 4], [0, 3, HEADER_OK, SUBBUF_HDR_SIZE + 2 * 56, 2]])
  assert.ok(seen[0]!.bytes.equals(slot1), 'the damaged sub-buffer is handed on byte for byte')
  assert.equal(sim.cpu(0).consumed, 3)
})

test('a reader takes onSubbuf or onRawSubbuf, exactly one', () => {
  const channel = openChannel(makeSim({ cpus: [0] }).dir)
  assert.throws(() => new ChannelReader(channel, {}), /give onSubbuf or onRawSubbuf/)
  assert.throws(() => new ChannelReader(channel, { onSubbuf: () => undefined, onRawSubbuf: () => undefined }), /give onSubbuf or onRawSubbuf/)
})

test('a sub-buffer of another ABI version stops the reader without acknowledging it', async () => {
  const sim = makeSim({ cpus: [0] })
  const { reader, seen } = collector(sim)
  sim.writeText(0, 'a')
  sim.flush()
  sim.writeText(0, 'b')
  sim.flush()
  sim.mapping(0).writeUInt16LE(2, sim.slotOffset(2) + SUBBUF_HDR.version.offset)
  await assert.rejects(reader.pass(), {
    name: 'UnsupportedAbiError',
    message: 'krelay ABI version 2 is not supported by this collector (it reads version 1) (sub-buffer 2 of cpu 0)',
  })
  assert.equal(seen.length, 1)
  assert.equal(sim.cpu(0).consumed, 1)
})

test('ack only after an async hand-off resolved; a failed hand-off is never acked', async () => {
  const sim = makeSim({ cpus: [0] })
  sim.writeText(0, 'a')
  sim.flush()
  let release!: () => void
  const reader = new ChannelReader(openChannel(sim.dir), {
    acker: sim.acker,
    onSubbuf: () => new Promise<void>((resolve) => { release = resolve }),
  })
  const pass = reader.pass()
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(sim.cpu(0).consumed, 0, 'not acked while the hand-off is pending')
  release()
  await pass
  assert.equal(sim.cpu(0).consumed, 1)

  sim.writeText(0, 'b')
  sim.flush()
  const failing = new ChannelReader(openChannel(sim.dir), {
    acker: sim.acker,
    onSubbuf: async () => { throw new Error('disk full') },
  })
  await assert.rejects(failing.pass(), /disk full/)
  assert.equal(sim.cpu(0).consumed, 1)
  assert.equal(failing.next(0), 2, 'will retry the same sub-buffer')
})

test('a raw hand-off that waits: the sub-buffers handed on before it are acknowledged before it resumes from an await', async () => {
  // capture says "nothing is acknowledged" from there (a full disk): that must already hold
  const sim = makeSim({ cpus: [0] })
  for (let i = 0; i < 3; i++) { sim.writeText(0, `r${i}`); sim.flush() }
  let release!: () => void
  let consumedAtWait = -1
  const reader = new ChannelReader(openChannel(sim.dir), {
    acker: sim.acker,
    onRawSubbuf: (sub) => {
      if (sub.seq !== 3) return
      return (async () => {
        await null
        consumedAtWait = sim.cpu(0).consumed
        await new Promise<void>((resolve) => { release = resolve })
      })()
    },
  })
  const pass = reader.pass()
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(consumedAtWait, 2, 'sub-buffers 1 and 2 acknowledged before the waiting hand-off went on')
  assert.equal(sim.cpu(0).consumed, 2, 'sub-buffer 3 not acknowledged while its hand-off waits')
  release()
  await pass
  assert.equal(sim.cpu(0).consumed, 3)
})

test('a restarted reader starts at stats.consumed + 1 and reads unacknowledged sub-buffers again', async () => {
  const sim = makeSim({ cpus: [0, 1] })
  for (let i = 0; i < 3; i++) { sim.writeText(0, 'x'); sim.writeText(1, 'y'); sim.flush() }
  sim.ack(0, 2)
  const { reader, seen } = collector(sim)
  assert.equal(reader.next(0), 3)
  assert.equal(reader.next(1), 1)
  await reader.pass()
  assert.deepEqual(seen.map((s) => [s.cpu, s.seq]), [[0, 3], [1, 1], [1, 2], [1, 3]])
  const custom = collector(sim, { startAt: (cpu, stats) => (cpu === 0 ? stats.consumed : undefined) })
  assert.equal(custom.reader.next(0), 3)
  assert.equal(custom.reader.next(1), 4)
})

test('the default acker writes the control file, one command for each CPU\'s run of sub-buffers', async () => {
  const sim = makeSim({ cpus: [0, 1] })
  // no turn of the event loop in between (a loaded machine could take SLICE_MS)
  const reader = new ChannelReader(openChannel(sim.dir), { onSubbuf: () => undefined, sliceMs: Infinity })
  for (let i = 0; i < 3; i++) { sim.writeText(0, 'x'); sim.writeText(1, 'y'); sim.flush() }
  await reader.pass()
  sim.writeText(1, 'z')
  sim.flush()
  await reader.pass()
  reader.close()
  assert.equal(fs.readFileSync(sim.controlPath, 'latin1'), 'ack 0 3\nack 1 3\nack 1 4\n')
  sim.pumpControl()
  assert.deepEqual([sim.cpu(0).consumed, sim.cpu(1).consumed], [3, 4])
})

test(`a pass longer than ${SLICE_MS} ms acknowledges what it took and lets the event loop turn, then goes on`, async () => {
  const sim = makeSim({ cpus: [0], nSubbufs: 16 })
  for (let i = 0; i < 12; i++) { sim.writeText(0, `r${i}`); sim.flush() }
  const acks: number[] = []
  const turns: Array<{ taken: number, acked: number }> = []
  let taken = 0
  const reader = new ChannelReader(openChannel(sim.dir), {
    acker: { ack: (_cpu, seq) => { acks.push(seq) } },
    onSubbuf: () => {
      // a slow hand-off: 12 of them take about 3 slices
      for (const until = performance.now() + SLICE_MS / 4; performance.now() < until;);
      taken++
    },
  })
  const timer = setInterval(() => turns.push({ taken, acked: acks.at(-1) ?? 0 }), 0)
  const pass = await reader.pass()
  clearInterval(timer)
  assert.equal(pass.subbufs, 12)
  // (a turn from the check phase may come back before the timers phase: not every turn runs the timer)
  assert.ok(turns.some(t => t.taken < 12), `the event loop turned during the pass: ${JSON.stringify(turns)}`)
  for (const t of turns) assert.equal(t.acked, t.taken, `everything taken was acknowledged before the turn: ${JSON.stringify(turns)}`)
  assert.equal(acks.at(-1), 12)
  assert.ok(acks.length < 12, `fewer acks than sub-buffers: ${acks.join(' ')}`)
})

test('timestamps beyond 2^53 stay exact and ordered; watermarks come from stats read before the pass', async () => {
  const start = (1n << 53n) + 10n
  const sim = makeSim({ cpus: [0, 1], startTs: start, tsStep: 1 })
  const stamps: bigint[] = []
  const rec = createRecordView()
  let previous = { hi: 0, lo: 0 }
  const watermarksSeen: bigint[] = []
  const rounds: Round[] = []
  const reader = new ChannelReader(openChannel(sim.dir), {
    acker: sim.acker,
    onSubbuf (sub) {
      watermarksSeen.push(u64ToBigInt(sub.watermarkHi, sub.watermarkLo))
      forEachRecord(sub.view, sub.recordsStart, sub.recordsEnd, rec, (r) => {
        assert.equal(compareU64(previous.hi, previous.lo, r.tsHi, r.tsLo), -1)
        previous = { hi: r.tsHi, lo: r.tsLo }
        stamps.push(u64ToBigInt(r.tsHi, r.tsLo))
      })
    },
    onRound: (round) => { rounds.push(round) },
  })
  for (let i = 0; i < 4; i++) sim.writeText(0, 'x')
  sim.advance(100)
  sim.flush()
  const flushedAt = u64ToBigInt(sim.clock.hi, sim.clock.lo)
  sim.writeText(1, 'late') // after the flush: not complete, not covered by the watermark
  await reader.pass()
  assert.deepEqual(stamps, [start + 1n, start + 2n, start + 3n, start + 4n], 'consecutive nanoseconds, exact')
  assert.deepEqual(watermarksSeen, [flushedAt])
  const round = rounds.at(-1)!
  assert.equal(round.final, false)
  assert.equal(u64ToBigInt(round.minHi, round.minLo), flushedAt)
  assert.deepEqual(round.watermarks.map((w) => [w.cpu, u64ToBigInt(w.hi, w.lo)]), [[0, flushedAt], [1, flushedAt]])
})

test('a CPU that comes online later is picked up on the next pass', async () => {
  const sim = makeSim({ cpus: [0] })
  const { reader, seen } = collector(sim)
  sim.addCpu(5)
  sim.writeText(5, 'hello from a new cpu')
  sim.flush()
  await reader.pass()
  assert.deepEqual(seen.map((s) => [s.cpu, s.seq, s.records]), [[5, 1, [1]]])
})

async function until (what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!cond()) {
    assert.ok(performance.now() < deadline, `timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

const fsWatches = (): number => process.getActiveResourcesInfo().filter((r) => r === 'FSEventWrap').length

// A flush interval of a minute: anything run() does within seconds, a watch made it do.
test('run(): a CPU file that appears is mapped and read at once, not a flush interval later', async () => {
  const sim = makeSim({ cpus: [0], flushIntervalMs: 60000 })
  const mapped: Array<[number, number]> = []
  const { reader, seen, rounds } = collector(sim, { onCpuMapped: (cpu, next) => { mapped.push([cpu, next]) } })
  const stop = new AbortController()
  const running = reader.run(stop.signal)
  await until('the first pass', () => rounds.length === 1)
  await new Promise((resolve) => setTimeout(resolve, 100)) // the watch's initial scan: cpu0 is mapped, no pass
  assert.equal(rounds.length, 1)
  sim.addCpu(3)
  sim.writeText(3, 'from the new cpu')
  sim.writeText(0, 'from cpu 0')
  sim.flush()
  await until('cpu 3 read', () => seen.some((s) => s.cpu === 3))
  assert.deepEqual(mapped, [[3, 1]])
  assert.deepEqual(seen.map((s) => [s.cpu, s.seq, s.records]), [[0, 1, [1]], [3, 1, [1]]])
  assert.deepEqual(rounds.at(-1)!.watermarks.map((w) => w.cpu), [0, 3])
  const started = performance.now()
  stop.abort()
  assert.equal(await running, 'stopped')
  assert.ok(performance.now() - started < 1000, 'an abort ends the sleep')
})

test('run() with watchCpuFiles false: a new CPU waits for the next pass', async () => {
  const sim = makeSim({ cpus: [0], flushIntervalMs: 60000 })
  const { reader, seen, rounds } = collector(sim, { watchCpuFiles: false })
  const stop = new AbortController()
  const running = reader.run(stop.signal)
  await until('the first pass', () => rounds.length === 1)
  sim.addCpu(3)
  sim.writeText(3, 'from the new cpu') // no flush: that would wake the reader through the wait file
  await new Promise((resolve) => setTimeout(resolve, 500))
  assert.deepEqual(seen, [])
  assert.equal(reader.next(3), undefined)
  stop.abort()
  assert.equal(await running, 'stopped')
  sim.flush()
  assert.deepEqual((await reader.pass()).subbufs, 1, 'the next pass maps and reads it')
  assert.equal(reader.next(3), 2)
})

test('a cpu file without its stats row yet is not mapped and holds no watermark; the row maps it', async () => {
  const sim = makeSim({ cpus: [0], flushIntervalMs: 60000 })
  const mapped: Array<[number, number]> = []
  const { reader, rounds } = collector(sim, { onCpuMapped: (cpu, next) => { mapped.push([cpu, next]) } })
  const stop = new AbortController()
  const running = reader.run(stop.signal)
  await until('the first pass', () => rounds.length === 1)
  // relay creates the file just before the module publishes the CPU's row
  fs.writeFileSync(sim.cpuPath(7), Buffer.alloc(sim.subbufSize * sim.nSubbufs))
  await until('the pass the file woke', () => rounds.length === 2)
  assert.equal(reader.next(7), undefined)
  assert.deepEqual(rounds.at(-1)!.watermarks.map((w) => w.cpu), [0])
  sim.addCpu(7) // rewrites the file: a change, not an appearance, so no wake
  reader.wake()
  await until('cpu 7 mapped', () => mapped.length === 1)
  assert.deepEqual(mapped, [[7, 1]])
  assert.deepEqual(rounds.at(-1)!.watermarks.map((w) => w.cpu), [0, 7])
  stop.abort()
  assert.equal(await running, 'stopped')
})

test('run(): the directory going away ends it at once; the watch is released at every end', async () => {
  await new Promise((resolve) => setTimeout(resolve, 20)) // the watches of the tests above, closing
  const before = fsWatches()
  assert.equal(before, 0, 'the runs above released their watches')
  const sim = makeSim({ cpus: [0, 1], flushIntervalMs: 60000 })
  const { reader, seen, rounds } = collector(sim)
  const running = reader.run()
  await until('the first pass', () => rounds.length === 1)
  await until('the watch', () => fsWatches() > before)
  sim.writeText(1, 'last words')
  sim.unload()
  fs.rmdirSync(sim.dir)
  const started = performance.now()
  assert.equal(await running, 'unloaded')
  assert.ok(performance.now() - started < 5000)
  assert.deepEqual(seen.map((s) => [s.cpu, s.seq, s.records]), [[0, 1, []], [1, 1, [1]]])
  await new Promise((resolve) => setTimeout(resolve, 20)) // handles close on the next turn of the loop
  assert.equal(fsWatches(), before, 'no watch left behind (it would keep node alive)')
})

test('unload: the reader reads its mappings to the end, then ends with a final round', async () => {
  const sim = makeSim({ cpus: [0, 1] })
  const { reader, seen, rounds } = collector(sim)
  sim.writeText(0, 'a')
  sim.flush()
  sim.writeText(0, 'b')
  sim.unload()
  assert.equal(fs.existsSync(sim.cpuPath(0)), false)
  const ended = await reader.run()
  assert.equal(ended, 'unloaded')
  // cpu 0: sub-buffers 1 and 2; cpu 1: its empty last sub-buffer, closed at unload
  assert.deepEqual(seen.map((s) => [s.cpu, s.seq, s.records]), [[0, 1, [1]], [0, 2, [2]], [1, 1, []]])
  assert.equal(rounds.at(-1)!.final, true)
  assert.deepEqual([rounds.at(-1)!.minHi, rounds.at(-1)!.minLo], [0xffffffff, 0xffffffff])
})

test('a reload (new channel_id) ends the reader after it read the old mappings to the end', async () => {
  const sim = makeSim({ cpus: [0] })
  const { reader, seen } = collector(sim)
  sim.writeText(0, 'old')
  sim.flush()
  sim.unload()
  const reloaded = new RelaySim({ dir: sim.dir, cpus: [0], subbufSize: 2048, nSubbufs: 4 })
  sims.push(reloaded)
  reloaded.writeText(0, 'new')
  reloaded.flush()
  const pass = await reader.pass()
  assert.equal(pass.ended, 'reloaded')
  assert.deepEqual(seen.map((s) => [s.seq, s.records]), [[1, [1]], [2, []]], 'the old instance\'s data, with its empty last sub-buffer')
  assert.equal(reloaded.cpu(0).consumed, 0, 'nothing acknowledged to the new instance')
})

test('without channel_id, a reload shows as produced below what was read', async () => {
  const sim = makeSim({ cpus: [0] })
  const { reader } = collector(sim)
  for (let i = 0; i < 3; i++) { sim.writeText(0, 'old'); sim.flush() }
  await reader.pass()
  sim.unload()
  const reloaded = new RelaySim({ dir: sim.dir, cpus: [0], subbufSize: 2048, nSubbufs: 4, channelId: sim.channelId })
  sims.push(reloaded)
  reloaded.writeText(0, 'new')
  reloaded.flush()
  assert.equal((await reader.pass()).ended, 'reloaded')
})

test('an ack that fails while the module is still there is thrown, not taken for an unload', async () => {
  const sim = makeSim({ cpus: [0] })
  const reader = new ChannelReader(openChannel(sim.dir), {
    acker: { ack: () => { throw Object.assign(new Error('EINVAL'), { code: 'EINVAL' }) } },
    onSubbuf: () => undefined,
  })
  sim.writeText(0, 'a')
  sim.flush()
  await assert.rejects(reader.pass(), /EINVAL/)
})

test('the control-file acker, its descriptor open, after unload: the reader ends', async () => {
  const sim = makeSim({ cpus: [0] })
  const control = controlFileAcker(sim.controlPath, DEFAULT_SYSTEM_PATHS)
  const reader = new ChannelReader(openChannel(sim.dir), { acker: control, onSubbuf: () => undefined })
  sim.writeText(0, 'a')
  sim.flush()
  await reader.pass()
  sim.unload()
  const fresh = controlFileAcker(sim.controlPath, DEFAULT_SYSTEM_PATHS)
  assert.throws(() => fresh.ack(0, 1), /no such file/)
  assert.equal(await reader.run(), 'unloaded')
})

test('run() stops on abort and sleeps about one flush interval between idle passes', async () => {
  const sim = makeSim({ cpus: [0], flushIntervalMs: 20 })
  const { reader, rounds } = collector(sim)
  const controller = new AbortController()
  setTimeout(() => controller.abort(), 110)
  const started = performance.now()
  assert.equal(await reader.run(controller.signal), 'stopped')
  const elapsed = performance.now() - started
  assert.ok(elapsed >= 100 && elapsed < 1000, `ran ${elapsed} ms`)
  assert.ok(rounds.length >= 3 && rounds.length <= 8, `${rounds.length} passes in ~110 ms at 20 ms`)
})

test('a module that vanishes mid-pass (ack fails with ENOENT) is still read to the end', async () => {
  const sim = makeSim({ cpus: [0, 1] })
  const seen: Array<[number, number]> = []
  const rounds: Round[] = []
  const reader = new ChannelReader(openChannel(sim.dir), {
    acker: {
      ack (cpu, seq) {
        if (cpu === 0) return sim.ack(cpu, seq)
        sim.unload() // the module goes just before this ack, which then fails as on debugfs
        throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' })
      },
    },
    onSubbuf: (sub) => { seen.push([sub.cpu, sub.seq]) },
    onRound: (round) => { rounds.push(round) },
  })
  for (let i = 0; i < 3; i++) { sim.writeText(0, 'a'); sim.writeText(1, 'b'); sim.flush() }
  const pass = await reader.pass()
  assert.equal(pass.ended, 'unloaded')
  // cpu 1's ack of its run fails and info is gone: then every mapping is read to its end
  // without acks (the empty sub-buffers closed at unload)
  assert.deepEqual(seen, [[0, 1], [0, 2], [0, 3], [1, 1], [1, 2], [1, 3], [0, 4], [1, 4]])
  assert.equal(rounds.length, 1)
  assert.equal(rounds[0]!.final, true)
  assert.deepEqual([rounds[0]!.minHi, rounds[0]!.minLo], [0xffffffff, 0xffffffff])
})

test('an ack refused because the module is unloading (ENODEV) ends the reader, which reads its mappings to the end', async () => {
  const sim = makeSim({ cpus: [0] })
  for (let i = 0; i < 3; i++) { sim.writeText(0, `r${i}`); sim.flush() }
  let acks = 0
  const { reader, seen } = collector(sim, {
    acker: { ack: () => { acks++; throw new ChannelError('not-a-channel', 'control refused "ack 0 1" (ENODEV): the module is being unloaded') } },
  })
  const pass = await reader.pass()
  assert.equal(pass.ended, 'unloaded')
  assert.equal(acks, 1, 'no ack after the first refusal')
  assert.deepEqual(seen.map((s) => s.seq), [1, 2, 3], 'every complete sub-buffer is still handed on')
})

test('claimAs: the claim is written before the first ack (also the ones startAt makes); release after the last, not once the module is gone', async () => {
  const sim = makeSim({ cpus: [0] })
  sim.write(0, { payload: Buffer.from('x') })
  sim.flush()
  const reader = new ChannelReader(openChannel(sim.dir), { claimAs: 'krelay-test', onSubbuf: () => undefined })
  await reader.pass()
  reader.release()
  assert.equal(fs.readFileSync(sim.controlPath, 'latin1'), 'claim krelay-test\nack 0 1\nrelease\n')
  assert.deepEqual(sim.pumpControl(), [])
  sim.unload()
  await reader.pass()
  reader.release()
  const unclaimed = new ChannelReader(openChannel(makeSim({ cpus: [0] }).dir), { onSubbuf: () => undefined })
  unclaimed.release()
  assert.equal(fs.readFileSync(sims.at(-1)!.controlPath, 'latin1'), '', 'a reader that did not claim does not release')
})
