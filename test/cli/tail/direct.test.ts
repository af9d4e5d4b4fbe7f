// krelay tail with no collector: it consumes the simulator's channel itself.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { RelaySim } from '../../../collector/sim/relay-sim.ts'
import { driveGenerator, pump, serveControl } from '../../collector/collect/sim-driver.ts'
import { jsonLines, run, until } from '../live-run.ts'
import { tempDir } from '../../temp-dir.ts'
import fs from 'node:fs'
import { PassThrough } from 'node:stream'
import { followChannel } from '../../../cli/tail/direct.ts'
import { parseOptions } from '../../../cli/options.ts'
import { tailSchema } from '../../../cli/tail.ts'
import { CliFailure } from '../../../cli/errors.ts'
import { CONSUMER_COLLECT } from '../../../collector/source/consumer.ts'

test('no collector: the tail reads the channel directly, says so once, prints every record once in order, releases the claim', async () => {
  const sim = new RelaySim({ cpus: [0, 1], nSubbufs: 64, subbufSize: 4096, flushIntervalMs: 5 })
  const stopServing = serveControl(sim)
  try {
    const socket = path.join(tempDir('krelay-tail-direct-'), 'live.sock')
    const tail = run(['tail', '--json', '--socket', socket, '--channel', sim.dir])
    await until(() => /not archived/.test(tail.stderr()) || tail.child.exitCode !== null, 'the tail to read the channel')
    await until(() => sim.consumer !== null, 'the claim')
    assert.equal(sim.consumer!.name, 'krelay-tail')
    await driveGenerator(sim, 2000, 16)
    sim.flush()
    // the newest records wait in the merge for a later watermark; a stop releases them
    await until(() => jsonLines(tail).length >= 3900 || tail.child.exitCode !== null, 'the records', 20_000)
    tail.child.kill('SIGINT')
    assert.equal(await tail.exited, 0, tail.stderr())
    assert.equal(tail.stderr(), `krelay tail: no collector is running (nothing serves ${socket}): reading the channel directly; these records are not archived\n`)
    const printed = jsonLines(tail)
    assert.ok(printed.every(p => p.event === undefined), 'no loss')
    assert.equal(printed.length, 4000)
    for (const cpu of [0, 1]) {
      assert.deepEqual(printed.filter(p => p.cpu === cpu).map(p => p.seq), Array.from({ length: 2000 }, (_, i) => i + 1), `cpu ${cpu}: each once, in order`)
    }
    for (let i = 1; i < printed.length; i++) {
      assert.ok(BigInt(printed[i - 1]!.mono_ns as string) <= BigInt(printed[i]!.mono_ns as string), `line ${i + 1} is in time order`)
    }
    await sleep(50)
    assert.equal(sim.consumer, null, 'the claim was released')
  } finally {
    stopServing()
    sim.destroy()
  }
})

test('no collector, lapped: another acknowledger frees sub-buffers the direct tail has not read; it says so once and prints a collector loss for exactly the gap', async () => {
  const sim = new RelaySim({ cpus: [0, 1], nSubbufs: 4, subbufSize: 4096, flushIntervalMs: 5 })
  const stopServing = serveControl(sim)
  try {
    const socket = path.join(tempDir('krelay-tail-direct-'), 'live.sock')
    const tail = run(['tail', '--json', '--socket', socket, '--channel', sim.dir])
    await until(() => sim.consumer !== null, 'the claim')
    sim.startGen(2000)
    for (let i = 0; i < 20; i++) { sim.genStep(8); sim.timerFlush(); await sleep(2) }
    // the tail has taken records of cpu 0 (the gap of a lap starts after the last one it saw)
    await until(() => sim.cpu(0).consumed > 0 || tail.child.exitCode !== null, 'the tail to take a sub-buffer of cpu 0', 20_000)
    // the tail stopped, another acknowledger frees cpu 0's sub-buffers as they complete
    tail.child.kill('SIGSTOP')
    await sleep(20)
    pump(sim)
    for (let i = 0; i < 6; i++) { sim.ack(0, sim.cpu(0).produced); sim.genStep(20) }
    sim.ack(0, sim.cpu(0).produced)
    tail.child.kill('SIGCONT')
    while (sim.genStep(8) > 0) { sim.timerFlush(); await sleep(2) }
    sim.flush()
    await until(() => [0, 1].every(cpu => sim.cpu(cpu).consumed === sim.cpu(cpu).produced) || tail.child.exitCode !== null, 'the tail to catch up', 20_000)
    tail.child.kill('SIGINT')
    assert.equal(await tail.exited, 0, tail.stderr())
    const laps = tail.stderr().split('\n').filter(l => l.includes('lapped'))
    assert.equal(laps.length, 1, tail.stderr())
    assert.match(laps[0]!, /^krelay tail: cpu 0: lapped: \d+ sub-buffers? .* another process acknowledged them/)
    const printed = jsonLines(tail)
    // a tail that falls behind (a loaded machine) may also drop, on either CPU
    const losses = printed.filter(p => p.event === 'loss' && p.cpu === 0)
    const lapped = losses.filter(l => l.reason === 'collector')
    assert.equal(lapped.length, 1, JSON.stringify(losses))
    assert.ok(losses.every(l => l.reason === 'collector' || l.reason === 'dropped'), JSON.stringify(losses))
    const seqs = printed.filter(p => p.event === undefined && p.cpu === 0).map(p => p.seq as number)
    const first = lapped[0]!.first_seq as number
    const count = lapped[0]!.count as number
    assert.equal(seqs.filter(s => s < first).at(-1), first - 1, 'the gap starts after the last record printed')
    assert.equal(seqs.find(s => s >= first), first + count, 'and ends before the next record printed')
    const lost = losses.flatMap(l => Array.from({ length: l.count as number }, (_, i) => (l.first_seq as number) + i))
    assert.deepEqual([...seqs, ...lost].sort((a, b) => a - b), Array.from({ length: 2000 }, (_, i) => i + 1), 'records + losses == every seq of cpu 0')
  } finally {
    stopServing()
    sim.destroy()
  }
})

test('no collector, but the channel is claimed (a collector serving elsewhere): exit 1 naming the holder, nothing printed', async () => {
  // the simulator does not enforce the claim: its control file is made to refuse, as the
  // module's does (EBUSY), as test/collector/source/consumer.test.ts does
  const sim = new RelaySim({ cpus: [0, 1], nSubbufs: 8, subbufSize: 4096 })
  sim.consumer = { pid: 4711, name: CONSUMER_COLLECT }
  sim.writeInfo()
  const original = fs.writeSync
  ;(fs as { writeSync: unknown }).writeSync = () => { throw Object.assign(new Error('EBUSY'), { code: 'EBUSY' }) }
  const out = new PassThrough()
  const err = new PassThrough()
  let printed = ''
  out.on('data', (b: Buffer) => { printed += b.toString() })
  err.on('data', (b: Buffer) => { printed += b.toString() })
  try {
    const opts = parseOptions(tailSchema, { socket: '/nowhere/live.sock', time: 'utc', color: 'never' })
    await assert.rejects(followChannel(opts, sim.dir, out as unknown as NodeJS.WriteStream, err),
      (e: Error) => e instanceof CliFailure && e.message === 'krelay collect (pid 4711) consumes this channel; watch it with krelay tail')
    assert.equal(printed, '')
  } finally {
    (fs as { writeSync: unknown }).writeSync = original
    sim.destroy()
  }
})
