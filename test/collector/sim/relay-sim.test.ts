// The simulator itself: file layout, no-overwrite mode, drops, flush, control commands.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { dataView } from '../../../formats/bytes.ts'
import { SUBBUF_HDR_SIZE } from '../../../formats/wire.ts'
import { parseInfo } from '../../../formats/info.ts'
import { parseStats } from '../../../formats/stats.ts'
import { createSubbufHeader, readSubbufHeader, checkSubbufHeader, HEADER_OK } from '../../../formats/subbuf-header.ts'
import { createRecordView, readRecord, RECORD_OK } from '../../../formats/record.ts'
import { u64ToBigInt } from '../../../formats/u64.ts'
import { RelaySim } from '../../../collector/sim/relay-sim.ts'

const sims: RelaySim[] = []
after(() => { for (const sim of sims) sim.destroy() })
function makeSim (options: ConstructorParameters<typeof RelaySim>[0] = {}): RelaySim {
  const sim = new RelaySim({ subbufSize: 1024, nSubbufs: 4, ...options })
  sims.push(sim)
  return sim
}

/** 100-byte payload: record length 152, so 6 records fill a 1024-byte sub-buffer. */
const PAYLOAD = Buffer.alloc(100, 0x41)

test('lays out the directory like debugfs: cpuN of subbuf_size * n_subbufs bytes, info, stats, control, wait (a FIFO)', () => {
  const sim = makeSim({ cpus: [0, 3] })
  assert.deepEqual(fs.readdirSync(sim.dir).sort(), ['control', 'cpu0', 'cpu3', 'info', 'stats', 'wait'])
  assert.ok(fs.statSync(path.join(sim.dir, 'wait')).isFIFO())
  assert.equal(fs.statSync(path.join(sim.dir, 'cpu3')).size, 4096)
  const info = parseInfo(fs.readFileSync(path.join(sim.dir, 'info'), 'latin1'))
  assert.deepEqual(info.cpus, [0, 3])
  assert.equal(info.subbufSize, 1024)
  assert.equal(info.nSubbufs, 4)
  const stats = parseStats(fs.readFileSync(path.join(sim.dir, 'stats'), 'latin1'))
  assert.deepEqual(stats.cpus.map((c) => [c.cpu, c.produced, c.consumed]), [[0, 0, 0], [3, 0, 0]])
})

test('no-overwrite: a full buffer drops, counts, and tells the next sub-buffer how many', () => {
  const sim = makeSim({ cpus: [0] })
  const results = new Map<string, number>()
  for (let i = 0; i < 30; i++) {
    const r = sim.write(0, { payload: PAYLOAD })
    results.set(r, (results.get(r) ?? 0) + 1)
  }
  // 4 sub-buffers of 6 records; the 25th record closes the 4th and finds no free slot.
  assert.deepEqual(Object.fromEntries(results), { written: 24, dropped: 6 })
  const c = sim.cpu(0)
  assert.equal(c.produced, 4)
  assert.equal(c.openSeq, 0)
  assert.equal(c.nextRecordSeq, 31, 'dropped records consumed sequence numbers')
  assert.equal(c.dropped, 6)
  sim.ack(0, 1)
  assert.equal(sim.write(0, { payload: PAYLOAD }), 'written')
  assert.equal(c.openSeq, 5)
  const h = readSubbufHeader(dataView(sim.mapping(0)), sim.slotOffset(5), createSubbufHeader())
  assert.equal(h.seq, 5)
  assert.equal(h.dropped, 6)
  assert.notEqual(h.commitSeq, 5, 'open, not complete')
  sim.flush()
  const done = readSubbufHeader(dataView(sim.mapping(0)), sim.slotOffset(5), createSubbufHeader())
  assert.equal(checkSubbufHeader(done, 0, 1024), HEADER_OK)
  assert.equal(done.commitSeq, 5)
  assert.equal(done.nrecords, 1)
  const rec = createRecordView()
  assert.equal(readRecord(dataView(sim.mapping(0)), sim.slotOffset(5) + SUBBUF_HDR_SIZE, sim.slotOffset(5) + 1024, rec), RECORD_OK)
  assert.equal(rec.seq, 31, 'the gap of 6 is visible: 24 + 6 + 1')
})

test('flush closes only sub-buffers holding a record and sets every watermark to now', () => {
  const sim = makeSim({ cpus: [0, 1], startTs: (1n << 60n) + 5n })
  sim.write(1, { payload: PAYLOAD })
  sim.advance(777)
  sim.flush()
  assert.equal(sim.cpu(0).produced, 0)
  assert.equal(sim.cpu(1).produced, 1)
  const stats = parseStats(fs.readFileSync(path.join(sim.dir, 'stats'), 'latin1'))
  for (const row of stats.cpus) assert.equal(u64ToBigInt(row.watermarkHi, row.watermarkLo), (1n << 60n) + 5n + 1000n + 777n)
})

test('the timer flush skips a CPU whose consumer is behind while its open sub-buffer holds records', () => {
  const sim = makeSim({ cpus: [0, 1] })
  for (const cpu of [0, 1]) sim.write(cpu, { payload: PAYLOAD })
  sim.flush()
  sim.ack(1, 1) // cpu 1 caught up, cpu 0 behind
  for (const cpu of [0, 1]) sim.write(cpu, { payload: PAYLOAD })
  const w0 = [sim.cpu(0).watermarkHi, sim.cpu(0).watermarkLo]
  sim.advance(500)
  sim.timerFlush()
  assert.equal(sim.cpu(0).produced, 1, 'cpu 0: the open sub-buffer stays open')
  assert.deepEqual([sim.cpu(0).watermarkHi, sim.cpu(0).watermarkLo], w0, 'cpu 0: its watermark stays')
  assert.equal(sim.cpu(1).produced, 2, 'cpu 1: closed')
  sim.ack(0, 1)
  sim.timerFlush()
  assert.equal(sim.cpu(0).produced, 2, 'cpu 0: closed once it caught up')
})

test('a flush publishes its watermark after it completes the sub-buffer it covers (PROTOCOL.md §4), as the module does', () => {
  const sim = makeSim({ cpus: [0] })
  sim.write(0, { payload: PAYLOAD })
  const cpu = sim.cpu(0)
  const header = createSubbufHeader()
  const seen: Array<{ produced: number, watermark: bigint, committed: boolean, firstTs: bigint }> = []
  const publish = cpu.onProduced!
  // stats is published when produced moves, before commit_seq is stored: what a reader in another process may read then
  cpu.onProduced = () => {
    publish()
    const row = parseStats(fs.readFileSync(path.join(sim.dir, 'stats'), 'latin1')).cpus[0]!
    readSubbufHeader(dataView(cpu.map), 0, header)
    seen.push({ produced: row.produced, watermark: u64ToBigInt(row.watermarkHi, row.watermarkLo), committed: header.commitSeq === 1, firstTs: u64ToBigInt(header.firstTsHi, header.firstTsLo) })
  }
  sim.advance(500)
  sim.flush()
  assert.equal(seen.length, 1)
  assert.equal(seen[0]!.produced, 1)
  assert.equal(seen[0]!.committed, false, 'stats shows produced before commit_seq (acks of it are accepted)')
  assert.ok(seen[0]!.watermark <= seen[0]!.firstTs, `the watermark stats showed (${seen[0]!.watermark}) is not past the records of the sub-buffer not yet complete (${seen[0]!.firstTs})`)
  readSubbufHeader(dataView(cpu.map), 0, header)
  const stats = parseStats(fs.readFileSync(path.join(sim.dir, 'stats'), 'latin1')).cpus[0]!
  assert.equal(u64ToBigInt(stats.watermarkHi, stats.watermarkLo), u64ToBigInt(header.watermarkHi, header.watermarkLo), 'then stats and the header say the flush time')
  assert.ok(u64ToBigInt(header.watermarkHi, header.watermarkLo) > u64ToBigInt(header.lastTsHi, header.lastTsLo))
})

test('filtered and too_big records take no sequence number', () => {
  const sim = makeSim({ cpus: [0] })
  sim.minLevel = 3
  assert.equal(sim.write(0, { payload: PAYLOAD, level: 4 }), 'filtered')
  assert.equal(sim.write(0, { payload: Buffer.alloc(1024 - SUBBUF_HDR_SIZE - 48 + 1), level: 3 }), 'too_big')
  assert.equal(sim.write(0, { payload: Buffer.alloc(1024 - SUBBUF_HDR_SIZE - 48), level: 3 }), 'written')
  const c = sim.cpu(0)
  assert.deepEqual([c.filtered, c.tooBig, c.written, c.nextRecordSeq], [1, 1, 1, 2])
})

test('control commands from the control file, errors as the module would return them', () => {
  const sim = makeSim({ cpus: [0] })
  sim.write(0, { payload: PAYLOAD })
  fs.appendFileSync(sim.controlPath, 'flush\n')
  fs.appendFileSync(sim.controlPath, 'ack 0 1\n')
  fs.appendFileSync(sim.controlPath, 'ack 0 2\n')
  fs.appendFileSync(sim.controlPath, 'ack 7 1\n')
  fs.appendFileSync(sim.controlPath, 'level warning\n')
  fs.appendFileSync(sim.controlPath, 'bogus\n')
  fs.appendFileSync(sim.controlPath, 'gen 5 0\n')
  const errors = sim.pumpControl()
  assert.deepEqual(errors.map((e) => [(e as NodeJS.ErrnoException).code, e.message]), [
    ['EINVAL', 'ack 0 2: EINVAL (produced is 1)'],
    ['EINVAL', '"ack 7 1": EINVAL'],
    ['EINVAL', '"bogus": EINVAL'],
  ])
  assert.equal(sim.cpu(0).consumed, 1)
  assert.equal(sim.minLevel, 4)
  assert.equal(parseInfo(fs.readFileSync(path.join(sim.dir, 'info'), 'latin1')).generator, 'running')
  assert.deepEqual(sim.pumpControl(), [], 'commands are applied once')
})

test('claim and release are recorded in info but not enforced (the simulator cannot tell writers apart)', () => {
  const sim = makeSim({ cpus: [0] })
  for (const bad of ['claim', 'claim a b', `claim ${'a'.repeat(32)}`, 'claim a/b', 'claim é', 'release x']) {
    fs.appendFileSync(sim.controlPath, `${bad}\n`)
  }
  fs.appendFileSync(sim.controlPath, `claim ${'a'.repeat(31)}\n`)
  assert.equal(sim.pumpControl().length, 6)
  assert.deepEqual(sim.consumer, { pid: 0, name: 'a'.repeat(31) })
  fs.appendFileSync(sim.controlPath, 'claim krelay-collect\n')
  sim.pumpControl()
  const keys = parseInfo(fs.readFileSync(path.join(sim.dir, 'info'), 'latin1')).keys
  assert.deepEqual([keys.get('consumer_pid'), keys.get('consumer_name')], ['0', 'krelay-collect'])
  fs.appendFileSync(sim.controlPath, 'release\n')
  assert.deepEqual(sim.pumpControl(), [])
  assert.equal(sim.consumer, null)
  assert.equal(parseInfo(fs.readFileSync(path.join(sim.dir, 'info'), 'latin1')).keys.get('consumer_name'), '-')
})

test('stale fill: every slot starts with a plausible old header whose commit_seq is never expected', () => {
  const sim = makeSim({ cpus: [0] })
  const h = createSubbufHeader()
  for (let slot = 0; slot < 4; slot++) {
    readSubbufHeader(dataView(sim.mapping(0)), slot * 1024, h)
    assert.equal(h.magic, 0x4253524b)
    assert.equal(h.cpu, 0)
    const commitSeq = sim.mapping(0).readBigUInt64LE(slot * 1024 + 24)
    assert.equal(commitSeq, BigInt.asUintN(64, BigInt(slot + 1 - 4)), `slot ${slot}: the lap before seq ${slot + 1}`)
  }
  assert.equal(h.seq, 0, 'slot 3 last held seq 0')
})

test('stats shows a sub-buffer as produced before its commit_seq is stored, as the module does', () => {
  const sim = makeSim({ cpus: [0] })
  const cpu = sim.cpu(0)
  const seen: Array<[number, number]> = []
  const publish = cpu.onProduced!
  cpu.onProduced = () => {
    publish()
    const stats = parseStats(fs.readFileSync(path.join(sim.dir, 'stats'), 'latin1'))
    const h = createSubbufHeader()
    readSubbufHeader(dataView(cpu.map), 0, h)
    seen.push([stats.cpus[0]!.produced, h.commitSeq])
  }
  for (let i = 0; i < 7; i++) sim.write(0, { payload: PAYLOAD })
  // the 7th record closed sub-buffer 1: stats already said produced 1, its commit_seq was not stored yet
  assert.equal(seen.length, 1)
  assert.equal(seen[0]![0], 1)
  assert.notEqual(seen[0]![1], 1, 'commit_seq comes after')
  const stats = parseStats(fs.readFileSync(path.join(sim.dir, 'stats'), 'latin1'))
  assert.equal(stats.cpus[0]!.produced, 1, 'without a flush or a timer, stats follows the sub-buffer switch')
})
