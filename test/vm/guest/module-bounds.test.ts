// Runs inside the test VM: the module loaded with its parameters at their boundaries
// (smallest and largest sub-buffer, fewest and most sub-buffers, shortest and longest
// flush interval) carries a generator run exactly. The largest size times the largest
// count (4 GiB per CPU) is refused by relay's own limit (module.test.ts) or would take
// more memory than the guest has, so each largest value is paired with the other's smallest.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ChannelReader } from '../../../collector/source/reader.ts'
import { GenVerifier } from '../../../collector/source/verify-gen.ts'
import { control, info, load, readToEnd, unload, waitGeneratorIdle } from './kmod.ts'

test.afterEach(() => unload())

interface Case {
  params: string[]
  count: number
  /** records per second per CPU (0: as fast as possible) */
  rate: number
  /** read while the generator runs (the buffer cannot hold the run) */
  follow: boolean
}

const cases: Case[] = [
  // 2 x 4 KiB, flushed every millisecond, read as they come: about 40 records fill a
  // sub-buffer, 0.8 s at this rate, time enough for an emulated reader to acknowledge (at
  // 200/s it falls behind under TCG and the kernel drops, counted)
  { params: ['subbuf_size=4096', 'n_subbufs=2', 'flush_ms=1'], count: 300, rate: 50, follow: true },
  // 1024 x 4 KiB: the whole run fits, read after it
  { params: ['subbuf_size=4096', 'n_subbufs=1024', 'flush_ms=100'], count: 20_000, rate: 0, follow: false },
  // 2 x 4 MiB, a flush a minute: nothing completes until the explicit flush
  { params: ['subbuf_size=4194304', 'n_subbufs=2', 'flush_ms=60000'], count: 20_000, rate: 0, follow: false },
]

for (const c of cases) {
  test(`${c.params.join(' ')}: a generator run of ${c.count} records per CPU arrives exactly, 0 drops`, async () => {
    const channel = load(...c.params)
    const [size, n, flush] = c.params.map(p => p.split('=')[1])
    assert.equal(String(channel.info.subbufSize), size)
    assert.equal(String(channel.info.nSubbufs), n)
    assert.equal(info().get('flush_interval_ms'), flush)
    const verifier = new GenVerifier(1, c.count, channel.info.cpus)
    const reader = new ChannelReader(channel, { onSubbuf: sub => verifier.addSubbuf(sub) })
    const stop = new AbortController()
    const following = c.follow ? reader.run(stop.signal) : undefined
    assert.equal(control(`gen ${c.count} ${c.rate}`), 'ok')
    await waitGeneratorIdle(300_000)
    assert.equal(control('flush'), 'ok')
    stop.abort()
    await following
    await readToEnd(reader)
    reader.close()
    const report = verifier.report()
    assert.deepEqual(report.problems, [])
    const stats = channel.readStats()
    for (const cpu of channel.info.cpus) {
      assert.equal(stats.byCpu.get(cpu)!.dropped, 0, `cpu ${cpu} dropped`)
      assert.equal(report.cpus.find(r => r.cpu === cpu)?.received, c.count, `cpu ${cpu} received`)
    }
  })
}
