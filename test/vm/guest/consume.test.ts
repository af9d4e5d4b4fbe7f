// Runs inside the test VM: the generator through the real module to the TypeScript
// consumer that follows PROTOCOL.md, record by record.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ChannelReader } from '../../../collector/source/reader.ts'
import { GenVerifier } from '../../../collector/source/verify-gen.ts'
import { control, drain, load, unload, waitGeneratorIdle } from './kmod.ts'

// A moderate rate for an emulated (TCG) guest, where the consumer runs 10-20x slower
const COUNT = 20000
const RATE = 10000

test.afterEach(() => unload())

test(`the generator's ${COUNT} records per CPU arrive exactly once, in order, exact, with 0 drops`, async () => {
  // The flush timer closes partly filled sub-buffers, so the buffer rides out a consumer
  // stall of about n_subbufs x flush_ms whatever the rate: 6.4 s here, for the emulated guest.
  const channel = load('n_subbufs=64')
  const verifier = new GenVerifier(1, COUNT, channel.info.cpus)
  const reader = new ChannelReader(channel, { onSubbuf: sub => verifier.addSubbuf(sub) })
  const stop = new AbortController()
  const running = reader.run(stop.signal)
  assert.equal(control(`gen ${COUNT} ${RATE}`), 'ok')
  await waitGeneratorIdle()
  assert.equal(control('flush'), 'ok')
  stop.abort()
  assert.equal(await running, 'stopped')
  await drain(reader)
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
  // Now consume what the kernel kept, and let one more record per CPU open a sub-buffer
  // whose header carries the drops that no later record had revealed yet.
  const verifier = new GenVerifier(1, count, channel.info.cpus)
  const reader = new ChannelReader(channel, { onSubbuf: sub => verifier.addSubbuf(sub) })
  await drain(reader)
  assert.equal(control('gen 1 0'), 'ok')
  await waitGeneratorIdle()
  assert.equal(control('flush'), 'ok')
  await drain(reader)
  const report = verifier.report()
  const stats = channel.readStats()
  for (const cpu of channel.info.cpus) {
    const r = report.cpus.find(c => c.cpu === cpu)!
    const kernelDropped = stats.byCpu.get(cpu)!.dropped
    assert.equal(kernelDropped, dropped.get(cpu), `cpu ${cpu}: the second run dropped nothing`)
    assert.equal(r.missingCount, kernelDropped, `cpu ${cpu}: records missing == kernel drop count`)
    assert.equal(r.dropped, kernelDropped, `cpu ${cpu}: gaps reported by the reader == kernel drop count`)
    assert.equal(r.received + kernelDropped, count)
    assert.equal(r.duplicates + r.outOfOrder + r.badContent + r.corrupt, 0)
  }
  reader.close()
})
