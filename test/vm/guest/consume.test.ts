// Runs inside the test VM: the generator through the real module to the TypeScript
// consumer that follows PROTOCOL.md, record by record.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ChannelReader } from '../../../collector/source/reader.ts'
import { GenVerifier } from '../../../collector/source/verify-gen.ts'
import { setTimeout as sleep } from 'node:timers/promises'
import { control, readToEnd, info, load, unload, waitGeneratorIdle } from './kmod.ts'

// A moderate rate for an emulated (TCG) guest, where the consumer runs 10-20x slower
const COUNT = 20000
const RATE = 10000

test.afterEach(() => unload())

test(`the generator's ${COUNT} records per CPU arrive exactly once, in order, exact, with 0 drops`, async () => {
  // default parameters: 8 x 256 KiB per CPU
  const channel = load()
  assert.equal(channel.info.generatorRun, 0, 'no run yet')
  const verifier = new GenVerifier(1, COUNT, channel.info.cpus)
  const reader = new ChannelReader(channel, { onSubbuf: sub => verifier.addSubbuf(sub) })
  const stop = new AbortController()
  const running = reader.run(stop.signal)
  assert.equal(control(`gen ${COUNT} ${RATE}`), 'ok')
  assert.equal(info().get('generator_run'), '1', 'runs are numbered from 1')
  await waitGeneratorIdle()
  assert.equal(control('flush'), 'ok')
  stop.abort()
  assert.equal(await running, 'stopped')
  await readToEnd(reader)
  const report = verifier.report()
  assert.deepEqual(report.problems, [])
  const stats = channel.readStats()
  for (const cpu of channel.info.cpus) {
    const row = stats.byCpu.get(cpu)!
    assert.equal(row.written, COUNT, `cpu ${cpu} written`)
    assert.equal(row.dropped, 0, `cpu ${cpu} dropped`)
    assert.equal(row.consumed, row.produced, `cpu ${cpu}: every complete sub-buffer acknowledged`)
    assert.equal(report.cpus.find(c => c.cpu === cpu)?.received, COUNT)
  }
  reader.close()
})

test('a consumer that stops acknowledging loses exactly what the kernel counts as dropped', async () => {
  const channel = load('subbuf_size=8192', 'n_subbufs=4')
  const count = 5000
  assert.equal(control(`gen ${count} 0`), 'ok')
  await waitGeneratorIdle()
  assert.equal(control('flush'), 'ok')
  const dropped = new Map(channel.readStats().cpus.map(r => [r.cpu, r.dropped]))
  for (const [cpu, n] of dropped) {
    assert.ok(n > 0, `cpu ${cpu}: 4 sub-buffers of 8 KiB cannot hold ${count} records, so some must drop`)
    assert.ok(n < count, `cpu ${cpu}: the first sub-buffers were kept`)
  }
  // Now consume what the kernel kept. No record follows the drops: once the acks freed a
  // slot, a flush (the timer's or this one) opens a sub-buffer without records whose
  // header reports them (§4).
  const verifier = new GenVerifier(1, count, channel.info.cpus)
  const reader = new ChannelReader(channel, { onSubbuf: sub => verifier.addSubbuf(sub) })
  await readToEnd(reader)
  assert.equal(control('flush'), 'ok')
  await readToEnd(reader)
  const report = verifier.report()
  const stats = channel.readStats()
  for (const cpu of channel.info.cpus) {
    const r = report.cpus.find(c => c.cpu === cpu)!
    const kernelDropped = stats.byCpu.get(cpu)!.dropped
    assert.equal(kernelDropped, dropped.get(cpu), `cpu ${cpu}: nothing dropped after the first flush`)
    assert.equal(r.missingCount, kernelDropped, `cpu ${cpu}: records missing == kernel drop count`)
    assert.equal(r.dropped, kernelDropped, `cpu ${cpu}: gaps reported by the reader == kernel drop count`)
    assert.equal(r.received + kernelDropped, count)
    assert.equal(r.duplicates + r.outOfOrder + r.badContent + r.corrupt, 0)
  }
  reader.close()
})

test('the flush timer leaves the open sub-buffer alone while the consumer is behind, and resumes when it caught up', async () => {
  // 100 records/s for 3 s into 8 x 8 KiB with nobody acknowledging. Closing a sub-buffer
  // every 100 ms would fill all 8 in 0.8 s and drop the rest; the timer flushes only
  // while consumed == produced, so after the first close the sub-buffers fill up.
  const channel = load('subbuf_size=8192', 'n_subbufs=8')
  const count = 300
  assert.equal(control(`gen ${count} 100`), 'ok')
  await waitGeneratorIdle()
  await sleep(500) // a few more timer periods
  const before = channel.readStats()
  for (const row of before.cpus) {
    assert.equal(row.dropped, 0, `cpu ${row.cpu}: nothing dropped though nothing was acknowledged`)
    assert.equal(row.written, count, `cpu ${row.cpu} written`)
    assert.ok(row.produced >= 1 && row.produced < 8, `cpu ${row.cpu}: ${row.produced} complete sub-buffers`)
  }
  // catch up without `flush`: the timer closes what is left within a few periods
  const verifier = new GenVerifier(1, count, channel.info.cpus)
  const reader = new ChannelReader(channel, { onSubbuf: sub => verifier.addSubbuf(sub) })
  const deadline = Date.now() + 10_000
  while (verifier.report().cpus.some(c => c.received < count)) {
    assert.ok(Date.now() < deadline, `the timer did not flush after the consumer caught up: ${JSON.stringify(verifier.report().cpus)}`)
    await reader.pass()
    await sleep(50)
  }
  assert.deepEqual(verifier.report().problems, [])
  for (const row of channel.readStats().cpus) assert.ok(row.produced > before.byCpu.get(row.cpu)!.produced, `cpu ${row.cpu}: the timer closed the last sub-buffer`)
  reader.close()
})
