import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { ackCommand, channelAcker, controlFileAcker, heldControlAcker, writeControl } from '../../../collector/source/ack.ts'
import type { Channel } from '../../../collector/source/channel.ts'
import { ChannelError, DEFAULT_SYSTEM_PATHS } from '../../../collector/source/errors.ts'
import { RelaySim } from '../../../collector/sim/relay-sim.ts'

const sim = new RelaySim({ cpus: [0, 1], subbufSize: 1024, nSubbufs: 4 })
after(() => sim.destroy())

test('one command per write, in the format of PROTOCOL.md §6, applied by the simulator', () => {
  assert.equal(ackCommand(3, 9007199254740991), 'ack 3 9007199254740991\n')
  for (let i = 0; i < 3; i++) {
    sim.write(1, { payload: Buffer.from('x') })
    sim.flush()
  }
  const acker = controlFileAcker(sim.controlPath, DEFAULT_SYSTEM_PATHS)
  acker.ack(1, 2)
  acker.ack(1, 3)
  acker.close?.()
  assert.equal(fs.readFileSync(sim.controlPath, 'latin1'), 'ack 1 2\nack 1 3\n')
  assert.deepEqual(sim.pumpControl(), [])
  assert.equal(sim.cpu(1).consumed, 3)
})

test('a control file that vanished means the module is gone', () => {
  const acker = controlFileAcker(`${sim.dir}/gone/control`, DEFAULT_SYSTEM_PATHS)
  assert.throws(() => acker.ack(0, 1), (err: Error) => err instanceof ChannelError && err.code === 'not-a-channel')
})

test('ENODEV (the module is unloading) and EIO (its file was removed) mean the channel is gone', () => {
  // a regular file cannot fail with these: fs.writeSync is made to, as the module's file would
  for (const code of ['ENODEV', 'EIO']) {
    const original = fs.writeSync
    const sys = DEFAULT_SYSTEM_PATHS
    fs.writeFileSync(`${sim.dir}/control-${code}`, '')
    ;(fs as { writeSync: unknown }).writeSync = () => { throw Object.assign(new Error(code), { code }) }
    try {
      assert.throws(() => writeControl(`${sim.dir}/control-${code}`, 'flush\n', sys),
        (err: Error) => err instanceof ChannelError && err.code === 'not-a-channel' && err.message.includes(`(${code}): the module is being unloaded`))
    } finally {
      (fs as { writeSync: unknown }).writeSync = original
    }
  }
})

test('a held acker writes every ack through one descriptor, and opens control again after close()', () => {
  const control = `${sim.dir}/control-held`
  fs.writeFileSync(control, '')
  const acker = heldControlAcker(control, DEFAULT_SYSTEM_PATHS)
  acker.ack(0, 1)
  // a descriptor, not the path: the next ack lands in the file it was opened on
  fs.renameSync(control, `${control}.old`)
  fs.writeFileSync(control, '')
  acker.ack(0, 2)
  assert.equal(fs.readFileSync(`${control}.old`, 'latin1'), 'ack 0 1\nack 0 2\n')
  acker.close?.()
  acker.ack(1, 5)
  acker.close?.()
  assert.equal(fs.readFileSync(control, 'latin1'), 'ack 1 5\n')
})

test('a held acker whose descriptor fails with EIO (the module went) says the channel is gone', () => {
  const control = `${sim.dir}/control-held-eio`
  fs.writeFileSync(control, '')
  const acker = heldControlAcker(control, DEFAULT_SYSTEM_PATHS)
  acker.ack(0, 1)
  const original = fs.writeSync
  ;(fs as { writeSync: unknown }).writeSync = () => { throw Object.assign(new Error('EIO'), { code: 'EIO' }) }
  try {
    assert.throws(() => acker.ack(0, 2), (err: Error) => err instanceof ChannelError && err.code === 'not-a-channel')
  } finally {
    (fs as { writeSync: unknown }).writeSync = original
    acker.close?.()
  }
})

test('channelAcker keeps control open only for a module whose files do not pin it (info unpinned_files)', () => {
  for (const unpinnedFiles of [true, false]) {
    const controlPath = `${sim.dir}/control-choice-${unpinnedFiles}`
    fs.writeFileSync(controlPath, '')
    const acker = channelAcker({ info: { unpinnedFiles }, controlPath, sys: DEFAULT_SYSTEM_PATHS } as unknown as Channel)
    acker.ack(0, 1)
    fs.renameSync(controlPath, `${controlPath}.old`)
    fs.writeFileSync(controlPath, '')
    acker.ack(0, 2)
    acker.close?.()
    // held: the second ack goes through the first descriptor; opened per ack: to the new file
    assert.equal(fs.readFileSync(`${controlPath}.old`, 'latin1'), unpinnedFiles ? 'ack 0 1\nack 0 2\n' : 'ack 0 1\n')
    assert.equal(fs.readFileSync(controlPath, 'latin1'), unpinnedFiles ? '' : 'ack 0 2\n')
  }
})
