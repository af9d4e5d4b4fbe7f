// Runs inside the test VM: one consumer per channel (PROTOCOL.md §6.1). The claim by hand
// from shell processes, and that it never holds the module. Between real `krelay collect`
// and `krelay tail` processes: tail-direct.test.ts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { CONTROL, control, load, unload } from './kmod.ts'
import { consumer, waitConsumer } from './claim-lib.ts'

const holders: ChildProcess[] = []

test.afterEach(() => {
  for (const h of holders.splice(0)) if (h.exitCode === null && h.signalCode === null) h.kill('SIGKILL')
  unload()
})

/**
 * A shell that claims `name` in its own process (printf is a builtin), then runs `then`
 * reading lines from its stdin; it is the holder until it exits.
 */
async function holder (name: string, then = 'read line'): Promise<ChildProcess> {
  const h = spawn('sh', ['-c', `printf 'claim ${name}' > ${CONTROL} && ${then}`], { stdio: ['pipe', 'ignore', 'inherit'] })
  holders.push(h)
  await waitConsumer(h.pid!, name)
  return h
}

async function exited (h: ChildProcess): Promise<void> {
  if (h.exitCode === null && h.signalCode === null) await once(h, 'exit')
}

test('claim by hand: the holder is named in info, others get EBUSY, bad names EINVAL, exit and kill -9 free it', async () => {
  load()
  assert.deepEqual(consumer(), { pid: 0, name: '-' }, 'free after load')
  const a = await holder('x')
  assert.equal(control('claim y'), 'EBUSY')
  assert.equal(control('ack 0 1'), 'EBUSY')
  assert.equal(control('ack 0 0'), 'EBUSY', 'even an ack that would change nothing')
  assert.equal(control('release'), 'EBUSY')
  for (const bad of ['claim', 'claim ', `claim ${'a'.repeat(32)}`, 'claim a b', 'claim a/b', Buffer.from('claim a\0b'), Buffer.from('claim \xe9', 'latin1')]) {
    assert.equal(control(bad), 'EINVAL', JSON.stringify(bad.toString()))
  }
  assert.deepEqual(consumer(), { pid: a.pid, name: 'x' }, 'refused commands changed nothing')
  assert.equal(control('flush'), 'ok', 'commands other than ack are not restricted')

  a.stdin!.end('\n')
  await exited(a)
  assert.equal(a.exitCode, 0)
  assert.deepEqual(consumer(), { pid: 0, name: '-' }, 'an exited holder holds nothing')
  assert.equal(control(`claim ${'a'.repeat(31)}`), 'ok')
  assert.deepEqual(consumer(), { pid: process.pid, name: 'a'.repeat(31) })
  assert.equal(control('claim y.z_0-9'), 'ok', 'the holder claims again: only the name changes')
  assert.deepEqual(consumer(), { pid: process.pid, name: 'y.z_0-9' })
  assert.equal(control('ack 0 0'), 'ok')
  assert.equal(control('release'), 'ok')
  assert.deepEqual(consumer(), { pid: 0, name: '-' })
  assert.equal(control('release'), 'ok', 'release with no claim does nothing')

  const b = await holder('killed', 'exec sleep 600')
  assert.equal(control('claim y'), 'EBUSY')
  b.kill('SIGKILL')
  await exited(b)
  assert.equal(control('claim y'), 'ok', 'a holder killed with SIGKILL left nothing behind')
  assert.equal(control('release'), 'ok')

  const c = await holder('c', 'read line && printf release > ' + CONTROL + ' && read line')
  c.stdin!.write('\n')
  const deadline = Date.now() + 60_000
  while (consumer().pid !== 0) {
    assert.ok(Date.now() < deadline, 'the holder\'s release did not free the claim')
    await sleep(20)
  }
  assert.equal(c.exitCode, null, 'the holder still runs')
  assert.equal(control('claim y'), 'ok', 'released by its holder')
  assert.equal(control('release'), 'ok')
  c.stdin!.end('\n')
  await exited(c)

  assert.equal(control('ack 0 0'), 'ok')
  assert.deepEqual(consumer(), { pid: process.pid, name: '-' }, 'an ack without claim claims as -')
  const refused = spawn('sh', ['-c', `printf 'claim z' > ${CONTROL}`], { stdio: 'ignore' })
  const [code] = await once(refused, 'exit') as [number]
  assert.notEqual(code, 0, 'another process cannot claim over an implicit claim')
  assert.equal(control('release'), 'ok')
})

test('the claim does not hold the module: rmmod under a live holder, and a new module starts free', async () => {
  load()
  const h = await holder('pinned', 'exec sleep 600')
  unload()
  load()
  assert.deepEqual(consumer(), { pid: 0, name: '-' })
  assert.equal(h.exitCode, null)
  assert.equal(control('claim other'), 'ok')
})
