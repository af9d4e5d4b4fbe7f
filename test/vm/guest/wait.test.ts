// Runs inside the test VM: the module's `wait` file (PROTOCOL.md §9) and the collector that
// waits on it. A read blocks until the write path completes a sub-buffer, a flush pass ends or
// someone writes to the file, for at most 1 s; signals and rmmod end it; only root opens it.
// Then `krelay collect` on one busy CPU at a rate that a reader sleeping out the flush
// interval cannot sustain: nothing dropped.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { WAIT_READ_MIN, WAIT_TIMEOUT_MS } from '../../../formats/wire.ts'
import { ChannelReader } from '../../../collector/source/reader.ts'
import { control, DIR, kernelLog, load, unload, waitGeneratorIdle } from './kmod.ts'
import { freshDir, readArchive, recordsByCpu, startCollector, stats, stopCollector, waitConsumed } from './demo-lib.ts'

const WAIT = `${DIR}/wait`
const NOBODY = { uid: 65534, gid: 65534 }

test.afterEach(() => unload())

interface ReadResult { line: string | null, code: string | null, ms: number }

/** One read() of the wait file in the thread pool; `done` says whether it returned yet. */
function startRead (fd: number, size = 64): { result: Promise<ReadResult>, done: () => boolean } {
  const t0 = performance.now()
  let finished = false
  const result = new Promise<ReadResult>((resolve) => {
    const buf = Buffer.alloc(size)
    fs.read(fd, buf, 0, size, null, (err, n) => {
      finished = true
      const ms = performance.now() - t0
      resolve(err ? { line: null, code: err.code ?? String(err), ms } : { line: buf.toString('latin1', 0, n), code: null, ms })
    })
  })
  return { result, done: () => finished }
}

function generation (r: ReadResult): bigint {
  assert.equal(r.code, null, `read failed with ${r.code}`)
  assert.match(r.line!, /^\d{1,20}\n$/, 'one decimal line')
  return BigInt(r.line!.trim())
}

test('a read blocks for the bounded timeout when nothing happens, and returns at once when the write path completes a sub-buffer', async () => {
  load('subbuf_size=4096', 'flush_ms=60000')
  const fd = fs.openSync(WAIT, 'r+')
  try {
    const idle = await startRead(fd).result
    const g0 = generation(idle)
    assert.ok(idle.ms >= WAIT_TIMEOUT_MS * 0.9, `returned after ${idle.ms.toFixed(0)} ms with nothing happening`)
    assert.ok(idle.ms < WAIT_TIMEOUT_MS * 5, `blocked ${idle.ms.toFixed(0)} ms: the timeout is ${WAIT_TIMEOUT_MS} ms`)
    assert.equal(generation(await startRead(fd).result), g0, 'a timeout returns the same generation')

    const read = startRead(fd)
    await sleep(100)
    assert.equal(read.done(), false, 'blocked while nothing happens')
    const t0 = performance.now()
    assert.equal(control('gen 300 0'), 'ok') // 300 records of 48..128 bytes fill 4 KiB sub-buffers
    const r = await read.result
    const ms = performance.now() - t0
    assert.ok(generation(r) > g0, 'woken by a completion, not by the timeout')
    assert.ok(ms < WAIT_TIMEOUT_MS * 0.8, `woken ${ms.toFixed(0)} ms after the generator started`)
    await waitGeneratorIdle()
  } finally {
    fs.closeSync(fd)
  }
})

test('a write to wait and the flush command each wake every blocked reader; O_NONBLOCK and a short buffer', async () => {
  load('flush_ms=60000')
  const fds = [fs.openSync(WAIT, 'r+'), fs.openSync(WAIT, 'r+')]
  try {
    for (const wake of [() => fs.writeFileSync(WAIT, 'wake\n'), () => assert.equal(control('flush'), 'ok')]) {
      const reads = fds.map((fd) => startRead(fd))
      await sleep(100)
      assert.deepEqual(reads.map((r) => r.done()), [false, false], 'both readers blocked')
      const t0 = performance.now()
      wake()
      const results = await Promise.all(reads.map((r) => r.result))
      const ms = performance.now() - t0
      for (const r of results) generation(r)
      assert.ok(ms < WAIT_TIMEOUT_MS * 0.8, `both woken within ${ms.toFixed(0)} ms`)
    }
    const nb = fs.openSync(WAIT, fs.constants.O_RDWR | fs.constants.O_NONBLOCK)
    try {
      assert.throws(() => fs.readSync(nb, Buffer.alloc(64)), { code: 'EAGAIN' }, 'nothing new since the open')
      fs.writeFileSync(WAIT, '\n')
      assert.match(readNow(nb), /^\d+\n$/, 'something new: a line at once')
    } finally {
      fs.closeSync(nb)
    }
    assert.throws(() => fs.readSync(fds[0]!, Buffer.alloc(WAIT_READ_MIN - 1)), { code: 'EINVAL' })
  } finally {
    for (const fd of fds) fs.closeSync(fd)
  }
})

function readNow (fd: number): string {
  const buf = Buffer.alloc(64)
  return buf.toString('latin1', 0, fs.readSync(fd, buf))
}

test('a signal ends a blocked read at once', async () => {
  load('flush_ms=60000')
  const cat = spawn('cat', [WAIT], { stdio: ['ignore', 'pipe', 'pipe'] })
  // its first read returns at the timeout; the kill lands early in the second
  await new Promise<void>((resolve) => cat.stdout.once('data', () => resolve()))
  const t0 = performance.now()
  const exited = new Promise<NodeJS.Signals | null>((resolve) => cat.once('exit', (_code, signal) => resolve(signal)))
  cat.kill('SIGTERM')
  assert.equal(await exited, 'SIGTERM')
  const ms = performance.now() - t0
  assert.ok(ms < WAIT_TIMEOUT_MS * 0.5, `cat died ${ms.toFixed(0)} ms after SIGTERM: the wait is not interruptible`)
})

test('rmmod while a reader is blocked: rmmod returns, the read fails (ENODEV), the descriptor stays safe to use and close', async () => {
  load('flush_ms=60000')
  const fd = fs.openSync(WAIT, 'r+')
  const idle = fs.openSync(WAIT, 'r') // open, never read, closed after the module is gone
  const read = startRead(fd)
  await sleep(200)
  assert.equal(read.done(), false)
  const t0 = performance.now()
  execFileSync('rmmod', ['krelay'], { timeout: 30_000 })
  const rmmodMs = performance.now() - t0
  const r = await read.result
  assert.ok(r.code === 'ENODEV' || r.code === 'EIO', `the blocked read ended with ${r.code ?? JSON.stringify(r.line)}`)
  assert.ok(rmmodMs < 10_000, `rmmod took ${rmmodMs.toFixed(0)} ms`)
  assert.throws(() => fs.readSync(fd, Buffer.alloc(64)), { code: 'EIO' }, 'a read after the unload')
  assert.throws(() => fs.writeSync(fd, '\n'), { code: 'EIO' }, 'a write after the unload')
  fs.closeSync(fd)
  load() // a new instance, while a descriptor of the old one is still open
  fs.closeSync(idle)
  unload()
  assert.doesNotMatch(kernelLog(), /BUG:|Oops|WARNING:|general protection/)
})

test('an unprivileged user (uid 65534) cannot open wait', () => {
  load()
  const r = spawnSync(process.execPath, ['-e', `try { require('fs').openSync(${JSON.stringify(WAIT)}, 'r'); console.log('opened') } catch (e) { console.log(e.code) }`],
    { encoding: 'utf8', ...NOBODY })
  assert.equal(r.stdout.trim(), 'EACCES', r.stderr)
})

/** Takes every CPU but 0 offline while the generator starts, so that only cpu 0 is busy. */
function genOnCpu0 (count: number, rate: number): void {
  const others = fs.readdirSync('/sys/devices/system/cpu').filter((n) => /^cpu[1-9]\d*$/.test(n))
    .map((n) => `/sys/devices/system/cpu/${n}/online`).filter((f) => fs.existsSync(f) && fs.readFileSync(f, 'utf8').trim() === '1')
  for (const f of others) fs.writeFileSync(f, '0')
  try {
    assert.equal(control(`gen ${count} ${rate}`), 'ok')
  } finally {
    for (const f of others) fs.writeFileSync(f, '1')
  }
}

/** A reader as the collector's capture is (each sub-buffer copied out, acknowledged), run until the generator is idle; returns cpu 0's row. */
async function capture (waitFile: boolean, count: number, rate: number): Promise<{ dropped: number, written: number, subbufs: number }> {
  const channel = load(`subbuf_size=${SUBBUF}`, `n_subbufs=${NSUB}`, `flush_ms=${FLUSH_MS}`)
  let subbufs = 0
  const reader = new ChannelReader(channel, { onSubbuf (sub) { Buffer.from(sub.bytes); subbufs++ }, waitFile })
  const stop = new AbortController()
  const running = reader.run(stop.signal)
  await sleep(200)
  genOnCpu0(count, rate)
  await waitGeneratorIdle()
  stop.abort()
  await running
  const row = stats().find((r) => r.cpu === 0)!
  unload()
  return { dropped: row.dropped, written: row.written, subbufs }
}

// 4 x 16 KiB per CPU hold about 740 generator records (88 bytes on average): a reader that
// sleeps out a flush interval of 5 s between passes sustains at most about 150 a second.
// (Emulated, the guest's CPUs are slow: 5000/s already starve a JavaScript reader of CPU. At
// 2000/s, 0.37 s of buffer, a waiting reader dropped 58 and 155 records in 2 CI runs, both
// kernels running at once on its host; the CPU-file watcher then read the channel directory
// again after every ack (cpu-files.ts). Now 1000/s, 0.74 s of buffer, and an interval long
// enough that sleeping still drops most.)
const SUBBUF = 16384
const NSUB = 4
const FLUSH_MS = 5000
const RATE = 1000
const COUNT = 6000

test(`a reader woken by wait keeps up with one CPU writing ${RATE}/s into ${NSUB} x ${SUBBUF / 1024} KiB, flush interval ${FLUSH_MS} ms: 0 dropped (sleeping out the interval drops)`, async () => {
  assert.ok(RATE * FLUSH_MS / 1000 > 2 * NSUB * SUBBUF / 88, 'far above what a reader passing once an interval can take')
  const sleeping = await capture(false, COUNT, RATE)
  const waiting = await capture(true, COUNT, RATE)
  process.stdout.write(`    one busy CPU at ${RATE}/s: sleeping reader dropped ${sleeping.dropped} of ${COUNT}, waiting reader ${waiting.dropped} (${waiting.subbufs} sub-buffers)\n`)
  assert.ok(sleeping.dropped > COUNT / 2, `the sleeping reader dropped only ${sleeping.dropped}`)
  assert.equal(waiting.written, COUNT)
  assert.equal(waiting.dropped, 0)
})

// The collector's own rounds (merge, DuckDB) take tens of ms a pass under emulation, so its
// test uses a ring that holds more: 8 x 64 KiB, about 6,000 records, 3 s at 2000/s, where a
// collector that sleeps out the 5 s interval takes about 1,200 a second. (4 x 64 KiB at
// 4000/s, 0.75 s, dropped 266 once in CI; 4 x 64 KiB at 2000/s dropped 291 and 632 here in 2
// of 8 runs beside a busy host CPU.)
const C_SUBBUF = 65536
const C_NSUB = 8
const C_RATE = 2000
const C_COUNT = 16000
const WARM = 5000

test(`krelay collect keeps up with one CPU writing ${C_RATE}/s into ${C_NSUB} x ${C_SUBBUF / 1024} KiB, flush interval ${FLUSH_MS} ms: 0 dropped`, async () => {
  assert.ok(C_RATE * FLUSH_MS / 1000 > 1.2 * C_NSUB * C_SUBBUF / 88, 'above what a collector passing once an interval can take')
  const out = freshDir('krelay-test-wait-out')
  const spool = freshDir('krelay-test-wait-spool')
  load(`subbuf_size=${C_SUBBUF}`, `n_subbufs=${C_NSUB}`, `flush_ms=${FLUSH_MS}`)
  const c = await startCollector(out, spool, [], 'collect')
  // its first rounds (DuckDB's first appends, the JIT) take seconds under emulation: warm it up
  genOnCpu0(WARM, WARM)
  await waitGeneratorIdle()
  await waitConsumed()
  const warmDropped = stats().find((r) => r.cpu === 0)!.dropped
  assert.equal(control('reset-stats'), 'ok')
  const t0 = performance.now()
  genOnCpu0(C_COUNT, C_RATE)
  await waitGeneratorIdle()
  const genMs = performance.now() - t0
  await waitConsumed()
  const row = stats().find((r) => r.cpu === 0)!
  await stopCollector(c)
  const archive = await readArchive(out)
  process.stdout.write(`    one busy CPU: ${C_COUNT} records in ${genMs.toFixed(0)} ms (${(C_COUNT / genMs * 1000).toFixed(0)}/s); ` +
    `collector dropped ${row.dropped} (the warm-up: ${warmDropped} of ${WARM})\n`)
  assert.equal(row.written, C_COUNT)
  assert.equal(row.dropped, 0, 'the collector woken by the wait file drops nothing')
  assert.equal(recordsByCpu(archive).get(0), WARM - warmDropped + C_COUNT, 'every record archived')
  assert.equal(archive.duplicates, 0)
})
