import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { openChannel } from '../../../collector/source/channel.ts'
import { flushChannel } from '../../../collector/source/flush.ts'
import { RelaySim } from '../../../collector/sim/relay-sim.ts'

const sim = new RelaySim({ cpus: [0, 1], subbufSize: 1024, nSubbufs: 4 })
after(() => sim.destroy())

test('flushChannel resolves only once the flush took effect: the open sub-buffer is complete', async () => {
  sim.write(0, { payload: Buffer.from('x') })
  const channel = openChannel(sim.dir)
  const timer = setTimeout(() => sim.pumpControl(), 30) // the simulator applies commands later, the module at once
  const t0 = Date.now()
  await flushChannel(channel)
  clearTimeout(timer)
  assert.ok(Date.now() - t0 >= 25, 'it waited for the command to be applied')
  assert.equal(sim.cpu(0).produced, 1, 'the record is in a complete sub-buffer')
})

test('a flush that takes no effect fails with the control file named, instead of hanging', async () => {
  const channel = openChannel(sim.dir)
  await assert.rejects(flushChannel(channel, 50), /control: flush took no effect within 50 ms/)
  sim.pumpControl()
})
