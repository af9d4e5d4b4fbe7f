// Claiming and releasing a channel through its control file, against the simulator (which
// records the claim but cannot enforce it: EBUSY is tested on the real module, in the VM).
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { openChannel } from '../../../collector/source/channel.ts'
import { claimChannel, claimChannelDir, releaseChannel } from '../../../collector/source/claim.ts'
import { CONSUMER_COLLECT, readHolder } from '../../../collector/source/consumer.ts'
import { RelaySim } from '../../../collector/sim/relay-sim.ts'

const sim = new RelaySim({ cpus: [0] })
after(() => sim.destroy())

test('claim <name> and release, one command per write, shown in info', () => {
  const channel = openChannel(sim.dir)
  claimChannel(channel, CONSUMER_COLLECT)
  assert.deepEqual(sim.pumpControl(), [])
  assert.equal(readHolder(sim.dir).name, CONSUMER_COLLECT)
  releaseChannel(channel)
  assert.deepEqual(sim.pumpControl(), [])
  assert.deepEqual(readHolder(sim.dir), { pid: 0, name: '-' })
  assert.equal(fs.readFileSync(sim.controlPath, 'latin1'), 'claim krelay-collect\nrelease\n')
})

test('claimChannelDir claims a loaded module and reports a missing one', () => {
  assert.equal(claimChannelDir(sim.dir, 'x'), true)
  assert.deepEqual(sim.pumpControl(), [])
  assert.equal(readHolder(sim.dir).name, 'x')
  assert.equal(claimChannelDir(`${sim.dir}/not-loaded`, 'x'), false)
})
