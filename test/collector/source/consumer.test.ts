// The holder of a channel's claim in words, from info, and EBUSY from the control file.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { writeControl } from '../../../collector/source/ack.ts'
import { CONSUMER_COLLECT, CONSUMER_TAIL, explainClaimed, holderMessage, readHolder } from '../../../collector/source/consumer.ts'
import { ChannelError, DEFAULT_SYSTEM_PATHS } from '../../../collector/source/errors.ts'
import { RelaySim } from '../../../collector/sim/relay-sim.ts'

const sim = new RelaySim({ cpus: [0] })
after(() => sim.destroy())

test('the holder named as the user knows it', () => {
  assert.equal(holderMessage({ pid: 4711, name: CONSUMER_COLLECT }), 'krelay collect (pid 4711) consumes this channel; watch it with krelay tail')
  assert.equal(holderMessage({ pid: 4711, name: CONSUMER_TAIL }), 'krelay tail (pid 4711) consumes this channel')
  assert.equal(holderMessage({ pid: 815, name: 'my-reader' }), 'process 815 (my-reader) consumes this channel')
  assert.equal(holderMessage({ pid: 815, name: '-' }), 'process 815 consumes this channel', 'a consumer that acked without claiming')
  assert.match(holderMessage({ pid: 0, name: '-' }), /a moment ago \(info names none now\); try again/, 'the holder went before info was read')
  assert.equal(holderMessage({ pid: 0, name: CONSUMER_COLLECT }), 'a process named krelay-collect in another pid namespace consumes this channel')
})

test('the holder as info shows it; no keys (an older module) or no info: unknown', () => {
  assert.deepEqual(readHolder(sim.dir), { pid: 0, name: '-' })
  sim.consumer = { pid: 4711, name: CONSUMER_COLLECT }
  sim.writeInfo()
  assert.deepEqual(readHolder(sim.dir), { pid: 4711, name: CONSUMER_COLLECT })
  const err = explainClaimed(sim.dir)
  assert.ok(err instanceof ChannelError && err.code === 'claimed')
  assert.equal(err.message, 'krelay collect (pid 4711) consumes this channel; watch it with krelay tail')
  assert.deepEqual(readHolder(`${sim.dir}/nowhere`), { pid: 0, name: '-' })
  sim.consumer = null
  sim.writeInfo()
})

test('EBUSY from the control file (claim, release or ack while another process holds the claim) names the holder', () => {
  // a regular file cannot fail with EBUSY: fs.writeSync is made to, as the module's file would
  sim.consumer = { pid: 4711, name: CONSUMER_COLLECT }
  sim.writeInfo()
  const original = fs.writeSync
  ;(fs as { writeSync: unknown }).writeSync = () => { throw Object.assign(new Error('EBUSY'), { code: 'EBUSY' }) }
  try {
    for (const command of ['claim krelay-tail\n', 'ack 0 1\n', 'release\n']) {
      assert.throws(() => writeControl(sim.controlPath, command, DEFAULT_SYSTEM_PATHS),
        (err: Error) => err instanceof ChannelError && err.code === 'claimed' &&
          err.message === 'krelay collect (pid 4711) consumes this channel; watch it with krelay tail')
    }
  } finally {
    (fs as { writeSync: unknown }).writeSync = original
    sim.consumer = null
    sim.writeInfo()
  }
})
