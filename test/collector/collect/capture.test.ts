// Capture never waits on the archive: with the archive worker held (the archiveGate test
// hook), capture still takes and acknowledges every sub-buffer into the spool; past the
// spool's budget it stops acknowledging, and the kernel's drops become loss rows.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { captureChannel, openSegment, type CaptureContext } from '../../../collector/collect/capture.ts'
import type { Archiver } from '../../../collector/collect/archiver.ts'
import { collect } from '../../../collector/collect/collect.ts'
import { DiskFullWait } from '../../../collector/disk-full.ts'
import { openChannel } from '../../../collector/source/channel.ts'
import { SpoolWriter } from '../../../collector/spool/spool-writer.ts'
import { RelaySim } from '../../../collector/sim/relay-sim.ts'
import { listSegments } from '../../../collector/spool/spool-reader.ts'
import { readArchive } from '../../../offline/read-archive.ts'
import { RECORD_HDR, SUBBUF_HDR_SIZE } from '../../../formats/wire.ts'
import { tempDir } from '../../temp-dir.ts'
import { collectOptions, collectorReading, driveGenerator, serveControl } from './sim-driver.ts'
import { meta, SUBBUF_SIZE } from './subbufs.ts'

function closedGate (): Int32Array {
  const gate = new Int32Array(new SharedArrayBuffer(4))
  gate[0] = 1
  return gate
}

function spoolBytes (dir: string): number {
  return listSegments(dir).reduce((n, f) => n + fs.statSync(f).size, 0)
}

test('with the archive stuck, capture still acknowledges every sub-buffer into the spool; the archive catches up after', async () => {
  // 8 x 4 KiB per CPU hold about 700 records: 5000 per CPU are written only if capture keeps taking them
  const sim = new RelaySim({ cpus: [0, 1], subbufSize: 4096, nSubbufs: 8, flushIntervalMs: 5 })
  const stop = new AbortController()
  const gate = closedGate()
  const opts = collectOptions(sim, stop.signal, { segmentBytes: 16 * 1024, archiveGate: gate })
  const stopServing = serveControl(sim)
  const running = collect(opts)
  await collectorReading(opts.spoolDir)
  await driveGenerator(sim, 5000, 16)
  await sleep(100)
  for (const cpu of [0, 1]) {
    assert.equal(sim.cpu(cpu).dropped, 0, `cpu ${cpu}: nothing dropped while the archive was stuck`)
    assert.ok(sim.cpu(cpu).consumed >= sim.cpu(cpu).produced - 1, `cpu ${cpu}: acknowledged ${sim.cpu(cpu).consumed} of ${sim.cpu(cpu).produced}`)
  }
  assert.ok(spoolBytes(opts.spoolDir) > 2 * 5000 * 32, `the spool holds the records (${spoolBytes(opts.spoolDir)} bytes)`)
  assert.ok(listSegments(opts.spoolDir).length > 4, 'capture rotated segments on its own')
  // the datasets' zero-row files may be there (ARCHIVE.md, "Layout"), no row
  assert.equal((await readArchive(opts.out)).records, 0, 'nothing archived yet')
  Atomics.store(gate, 0, 0)
  stop.abort()
  const summary = await running
  stopServing()
  const a = await readArchive(opts.out)
  assert.equal(a.records, 10000)
  assert.equal(a.duplicates, 0)
  assert.deepEqual(a.losses, [])
  assert.equal(summary.records, 10000)
  assert.deepEqual(listSegments(opts.spoolDir), [], 'every segment deleted once archived')
  sim.destroy()
})

test('past --spool-budget capture stops acknowledging, says so once, and the kernel\'s drops become loss rows', async () => {
  const sim = new RelaySim({ cpus: [0, 1], subbufSize: 4096, nSubbufs: 8, flushIntervalMs: 5 })
  const stop = new AbortController()
  const gate = closedGate()
  const lines: string[] = []
  const opts = collectOptions(sim, stop.signal, { segmentBytes: 16 * 1024, archiveGate: gate, spoolBudgetBytes: 64 * 1024, log: line => { lines.push(line) } })
  const stopServing = serveControl(sim)
  const running = collect(opts)
  await collectorReading(opts.spoolDir)
  await driveGenerator(sim, 5000, 16)
  await sleep(100)
  const held = lines.filter(l => l.includes('over --spool-budget'))
  assert.equal(held.length, 1, lines.join('\n'))
  assert.match(held[0]!, /^the spool holds \d+\.\d MiB, over --spool-budget 0\.1 MiB: not acknowledging until the archive catches up/)
  const dropped = [0, 1].map(cpu => sim.cpu(cpu).dropped)
  assert.ok(dropped.every(n => n > 0), `the kernel dropped ${dropped.join(', ')}`)
  // a budget is overrun by at most one reader pass (the kernel's buffer, 2 x 8 x 4 KiB here) and a segment header
  assert.ok(spoolBytes(opts.spoolDir) < 64 * 1024 + 2 * 8 * 4096 + 4096, `${spoolBytes(opts.spoolDir)} bytes spooled`)
  Atomics.store(gate, 0, 0)
  for (let i = 0; i < 400 && !lines.some(l => l.startsWith('the archive caught up')); i++) await sleep(10)
  assert.ok(lines.some(l => /^the archive caught up after \d+\.\d s \(the spool holds \d+\.\d MiB\): acknowledging again$/.test(l)), lines.join('\n'))
  await sleep(100)
  stop.abort()
  const summary = await running
  stopServing()
  const a = await readArchive(opts.out)
  assert.equal(a.lostRecords, dropped[0]! + dropped[1]!, 'every drop is a loss row')
  assert.equal(a.records + a.lostRecords, 10000, 'records + losses account for every seq')
  assert.equal(a.duplicates, 0)
  assert.equal(a.lossOverlaps, 0)
  assert.equal(summary.lostRecords, a.lostRecords)
  sim.destroy()
})

test('capture walks no record, yet a record damaged in the kernel\'s buffer is found: the records before it archived, the rest a corrupt loss row', async () => {
  const sim = new RelaySim({ cpus: [0], subbufSize: 2048, nSubbufs: 4, flushIntervalMs: 5 })
  const stop = new AbortController()
  const opts = collectOptions(sim, stop.signal)
  const stopServing = serveControl(sim)
  const running = collect(opts)
  await collectorReading(opts.spoolDir)
  // capture runs on this thread: nothing takes the sub-buffer between its flush and the damage
  for (let i = 0; i < 5; i++) sim.writeText(0, `record ${i}`)
  sim.flush()
  // the third record (each is 56 bytes) gets a len that is not a multiple of 8
  sim.mapping(0).writeUInt32LE(65, sim.slotOffset(1) + SUBBUF_HDR_SIZE + 2 * 56 + RECORD_HDR.len.offset)
  for (let i = 5; i < 8; i++) sim.writeText(0, `record ${i}`)
  sim.flush()
  for (let i = 0; i < 400 && sim.cpu(0).consumed < 2; i++) await sleep(10)
  assert.equal(sim.cpu(0).consumed, 2, 'capture acknowledged both sub-buffers, the damaged one too')
  stop.abort()
  const summary = await running
  stopServing()
  const a = await readArchive(opts.out)
  assert.equal(a.records, 5, 'records 1, 2 and 6 to 8')
  assert.deepEqual(a.losses.map(l => [l.cpu, l.reason, l.count, l.firstSeq]), [[0, 'corrupt', 3, 3]])
  assert.equal(summary.lostRecords, 3)
  sim.destroy()
})

test('a failure in the archive worker ends collect with its message', async () => {
  const sim = new RelaySim({ cpus: [0], subbufSize: 4096, nSubbufs: 8, flushIntervalMs: 5 })
  const stop = new AbortController()
  const opts = collectOptions(sim, stop.signal, { segmentBytes: 16 * 1024 })
  fs.mkdirSync(opts.spoolDir, { recursive: true })
  fs.writeFileSync(path.join(opts.spoolDir, 'state.json'), '{ not json')
  await assert.rejects(collect(opts), (err: Error) => {
    assert.match(err.message, /state\.json is not valid krelay spool state/)
    return true
  })
  sim.destroy()
})

/** A spool whose disk is full for the sub-buffers `refused` holds, as writev says it. */
class RefusingSpool extends SpoolWriter {
  readonly refused = new Set<number>()
  override append (...args: Parameters<SpoolWriter['append']>): void {
    const seq = args[3]
    if (seq !== undefined && this.refused.has(seq)) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })
    super.append(...args)
  }
}

test('a spool write refused in the middle of a run: what was spooled before it is acknowledged before capture says nothing is', async () => {
  const sim = new RelaySim({ cpus: [0], subbufSize: SUBBUF_SIZE, nSubbufs: 8, flushIntervalMs: 60_000 })
  const halt = new AbortController()
  const spool = new RefusingSpool(tempDir('krelay-capture-spool-'), { fsync: 'never', segmentBytes: 1 << 20, segmentAgeMs: 60_000 }, 1, () => {})
  const lines: string[] = []
  const acksAtFull: string[] = []
  const log = (line: string): void => {
    lines.push(line)
    // what the control file has been told by the time the line is written
    if (line.startsWith('disk full:')) acksAtFull.push(...fs.readFileSync(sim.controlPath, 'latin1').split('\n').filter(l => l.startsWith('ack ')))
  }
  const ctx: CaptureContext = {
    spool,
    archiver: { tell: () => {}, failed: undefined } as unknown as Archiver,
    spoolBytes: () => 0,
    budgetBytes: Infinity,
    halt: halt.signal,
    full: new DiskFullWait(log, 'spooling waits and nothing is acknowledged', 'kept in the kernel', halt.signal, 20),
    log,
  }
  const channel = openChannel(sim.dir)
  const captureMeta = meta(channel.info.channelId ?? '')
  const stopServing = serveControl(sim)
  try {
    await openSegment(ctx, captureMeta)
    // three complete sub-buffers before the first pass: one run, the third refused
    for (let i = 0; i < 3; i++) { sim.writeText(0, `r${i}`); sim.flush() }
    spool.refused.add(3)
    const running = captureChannel(channel, captureMeta, undefined, ctx)
    for (let i = 0; i < 500 && !lines.some(l => l.startsWith('disk full:')); i++) await sleep(5)
    assert.ok(lines.some(l => l.startsWith('disk full:')), lines.join('\n'))
    assert.deepEqual(acksAtFull, ['ack 0 2'], 'sub-buffers 1 and 2 were acknowledged when the line was written')
    await sleep(100)
    assert.equal(sim.cpu(0).consumed, 2, 'sub-buffer 3 is not acknowledged while the disk is full')
    spool.refused.clear()
    for (let i = 0; i < 500 && sim.cpu(0).consumed < 3; i++) await sleep(5)
    assert.equal(sim.cpu(0).consumed, 3, 'taken once there is room')
    assert.equal(lines.filter(l => l.startsWith('disk space is back')).length, 1, lines.join('\n'))
    halt.abort()
    assert.equal(await running, 'stopped')
  } finally {
    stopServing()
    spool.close()
    sim.destroy()
  }
})

/** Mounts a tmpfs of `size` on `dir` (root only); false where that cannot be done. */
function mountTmpfs (dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** Writes `file` until its filesystem refuses (ENOSPC). */
function fill (file: string): void {
  const fd = fs.openSync(file, 'w')
  try {
    for (const block of [Buffer.alloc(1 << 20), Buffer.alloc(512)]) {
      for (;;) {
        try { fs.writeSync(fd, block) } catch { break }
      }
    }
  } finally {
    fs.closeSync(fd)
  }
}

test('a full spool disk: capture stops acknowledging, says so once, does not fail, and resumes by itself when there is room', async (t) => {
  const sim = new RelaySim({ cpus: [0, 1], subbufSize: 4096, nSubbufs: 8, flushIntervalMs: 5 })
  const stop = new AbortController()
  const lines: string[] = []
  const opts = collectOptions(sim, stop.signal, { segmentBytes: 1 << 20, log: line => { lines.push(line) } })
  if (!mountTmpfs(opts.out, '4m')) {
    t.skip('cannot mount a tmpfs here (needs root)')
    return
  }
  try {
    const stopServing = serveControl(sim)
    const running = collect(opts)
    await collectorReading(opts.spoolDir)
    await driveGenerator(sim, 1000, 16)
    const filler = path.join(opts.out, 'filler')
    fill(filler)
    await driveGenerator(sim, 5000, 16)
    await sleep(300)
    const full = lines.filter(l => l.startsWith('disk full:'))
    assert.equal(full.length, 1, lines.join('\n'))
    assert.match(full[0]!, new RegExp(`^disk full: cannot write ${opts.spoolDir}/\\d{10}-[0-9a-f]{16}\\.krcap: no space left on device \\(ENOSPC\\) ` +
      `on the filesystem of ${opts.spoolDir}; spooling waits and nothing is acknowledged: the kernel drops what does not fit in its buffers ` +
      '\\(archived as loss rows\\); retrying every 1 s until there is room$'))
    const dropped = [0, 1].map(cpu => sim.cpu(cpu).dropped)
    assert.ok(dropped.some(n => n > 0), `the kernel dropped ${dropped.join(', ')}`)
    fs.rmSync(filler)
    for (let i = 0; i < 300 && !lines.some(l => l.startsWith('disk space is back')); i++) await sleep(10)
    assert.match(lines.find(l => l.startsWith('disk space is back')) ?? lines.join('\n'), /^disk space is back: wrote .*\.krcap after waiting \d+\.\d s$/)
    await driveGenerator(sim, 1000, 16)
    await sleep(100)
    stop.abort()
    const summary = await running
    stopServing()
    const a = await readArchive(opts.out)
    const lost = [0, 1].reduce((n, cpu) => n + sim.cpu(cpu).dropped, 0)
    assert.equal(a.lostRecords, lost, 'every drop is a loss row')
    assert.equal(a.records + a.lostRecords, 2 * 7000, 'records + losses account for every seq')
    assert.equal(a.duplicates, 0)
    assert.equal(a.lossOverlaps, 0)
    assert.equal(summary.lostRecords, lost)
    assert.equal(lines.filter(l => l.startsWith('disk full:')).length, 1, lines.join('\n'))
  } finally {
    execFileSync('umount', ['-l', opts.out])
    sim.destroy()
  }
})
