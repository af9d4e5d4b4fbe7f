// The reader's wait between passes, against the simulator's `wait` FIFO (the module's file
// is tested in the VM: test/vm/guest/wait.test.ts): it wakes on a completed sub-buffer long
// before the flush interval, stop ends it at once, process exit does not wait for its read,
// and a channel without the file (an older module) falls back to sleeping.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { openChannel } from '../../../collector/source/channel.ts'
import { ChannelReader } from '../../../collector/source/reader.ts'
import type { Round } from '../../../collector/source/reader-options.ts'
import { openWaiter } from '../../../collector/source/waiter.ts'
import { RelaySim, type SimOptions } from '../../../collector/sim/relay-sim.ts'

const sims: RelaySim[] = []
after(() => { for (const sim of sims) sim.destroy() })

function makeSim (options: SimOptions = {}): RelaySim {
  const sim = new RelaySim({ cpus: [0], subbufSize: 2048, nSubbufs: 8, ...options })
  sims.push(sim)
  return sim
}

async function until (what: string, ok: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!ok()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}

/** Writes records on cpu 0 until the write path completes a sub-buffer (no flush). */
function completeOne (sim: RelaySim): void {
  const produced = sim.cpu(0).produced
  while (sim.cpu(0).produced === produced) sim.writeText(0, 'a record that fills the sub-buffer')
}

function running (sim: RelaySim, options: { waitFile?: boolean } = {}) {
  const rounds: Round[] = []
  let subbufs = 0
  const reader = new ChannelReader(openChannel(sim.dir), {
    acker: sim.acker,
    onSubbuf: () => { subbufs++ },
    onRound: (round) => { rounds.push(round) },
    ...options,
  })
  const stop = new AbortController()
  const done = reader.run(stop.signal)
  return { reader, rounds, subbufs: () => subbufs, stop, done }
}

test('run() takes a sub-buffer the write path completed at once, not after the flush interval', async () => {
  const sim = makeSim({ flushIntervalMs: 60000 })
  const r = running(sim)
  await until('the first pass', () => r.rounds.length === 1)
  await new Promise((resolve) => setTimeout(resolve, 50)) // the reader is blocked in its read now
  assert.equal(r.rounds.length, 1, 'nothing woke the reader yet')
  const t0 = performance.now()
  completeOne(sim)
  await until('the completed sub-buffer', () => r.subbufs() === 1, 2000)
  const ms = performance.now() - t0
  assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms; the flush interval is 60 s`)
  r.stop.abort()
  assert.equal(await r.done, 'stopped')
})

test('a flush pass wakes run(): the new watermarks are read at once', async () => {
  const sim = makeSim({ flushIntervalMs: 60000 })
  const r = running(sim)
  await until('the first pass', () => r.rounds.length === 1)
  sim.advance(5000)
  sim.timerFlush()
  await until('the pass after the flush', () => r.rounds.length === 2, 2000)
  const w = r.rounds[1]!.watermarks[0]!
  assert.deepEqual([w.hi, w.lo], [sim.clock.hi, sim.clock.lo])
  r.stop.abort()
  await r.done
})

test('stop ends a blocked wait at once and leaves no read pending', async () => {
  const sim = makeSim({ flushIntervalMs: 60000 })
  const r = running(sim)
  await until('the first pass', () => r.rounds.length === 1)
  await new Promise((resolve) => setTimeout(resolve, 50)) // blocked in its read now
  const t0 = performance.now()
  r.stop.abort()
  assert.equal(await r.done, 'stopped')
  const ms = performance.now() - t0
  assert.ok(ms < 500, `stop took ${ms.toFixed(0)} ms`)
  // a read left behind would swallow the next byte: a new waiter gets it
  sim.flush()
  const waiter = openWaiter(sim.dir + '/wait')!
  assert.equal(await waiter.wait(2000), 'file')
  await waiter.close()
})

test('a channel without the wait file (an older module): run() sleeps about one flush interval, as before', async () => {
  const sim = makeSim({ flushIntervalMs: 400, waitFile: false })
  const r = running(sim)
  await until('the first pass', () => r.rounds.length === 1)
  const t0 = performance.now()
  completeOne(sim)
  await until('the completed sub-buffer', () => r.subbufs() === 1, 3000)
  const ms = performance.now() - t0
  assert.ok(ms > 250, `took ${ms.toFixed(0)} ms: something other than the sleep woke the reader`)
  r.stop.abort()
  await r.done
})

test('waitFile false: run() sleeps even when the file is there', async () => {
  const sim = makeSim({ flushIntervalMs: 400 })
  const r = running(sim, { waitFile: false })
  await until('the first pass', () => r.rounds.length === 1)
  completeOne(sim)
  await new Promise((resolve) => setTimeout(resolve, 150))
  assert.equal(r.subbufs(), 0, 'not woken by the file')
  await until('the completed sub-buffer', () => r.subbufs() === 1, 3000)
  r.stop.abort()
  await r.done
})

test('the simulator unloading wakes a blocked reader, which ends at once', async () => {
  const sim = makeSim({ flushIntervalMs: 60000 })
  const r = running(sim)
  await until('the first pass', () => r.rounds.length === 1)
  sim.writeText(0, 'the last record')
  const t0 = performance.now()
  sim.unload()
  assert.equal(await r.done, 'unloaded')
  assert.ok(performance.now() - t0 < 1000)
  assert.equal(r.subbufs(), 1, 'the mappings were read to the end')
})

test('waiter: a byte ends the wait ("file"), the fallback time ("timeout"), wake() and abort ("woken")', async () => {
  const sim = makeSim()
  const waiter = openWaiter(openChannel(sim.dir).waitPath)!
  assert.ok(waiter)
  const timed = performance.now()
  assert.equal(await waiter.wait(100), 'timeout')
  assert.ok(performance.now() - timed >= 90)
  sim.flush()
  assert.equal(await waiter.wait(5000), 'file', 'the read left pending by the timeout is taken over')
  const woken = waiter.wait(5000)
  waiter.wake()
  assert.equal(await woken, 'woken')
  const stop = new AbortController()
  const aborted = waiter.wait(5000, stop.signal)
  stop.abort()
  assert.equal(await aborted, 'woken')
  assert.equal(waiter.failed, null)
  await waiter.close()
})

test('openWaiter: no file is null (an older module)', () => {
  const sim = makeSim({ waitFile: false })
  assert.equal(openWaiter(openChannel(sim.dir).waitPath), null)
})

test('process.exit() while the reader waits in a read does not hang', () => {
  const script = `
    import { RelaySim } from './collector/sim/relay-sim.ts'
    import { openChannel } from './collector/source/channel.ts'
    import { ChannelReader } from './collector/source/reader.ts'
    const sim = new RelaySim({ cpus: [0], flushIntervalMs: 60000 })
    let rounds = 0
    const reader = new ChannelReader(openChannel(sim.dir), { acker: sim.acker, onSubbuf () {}, onRound () { rounds++ } })
    void reader.run()
    const timer = setInterval(() => { if (rounds > 0) { clearInterval(timer); setTimeout(() => process.exit(7), 50) } }, 5)
  `
  const t0 = performance.now()
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20000 })
  assert.equal(r.signal, null, `the child hung and was killed: ${r.stderr}`)
  assert.equal(r.status, 7, r.stderr)
  assert.ok(performance.now() - t0 < 15000)
})
