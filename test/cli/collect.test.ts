// krelay collect's live socket, as a user meets it: a group that does not exist, a second
// collector on the same socket, a socket left behind by a collector that was SIGKILLed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { RelaySim } from '../../collector/sim/relay-sim.ts'
import { serveControl } from '../collector/collect/sim-driver.ts'
import { run, startCollector, stop } from './live-run.ts'
import { tempDir } from './temp-dir.ts'

test('--live-group naming no group: exit 2, one line', async () => {
  const dir = tempDir('krelay-collect-')
  const p = run(['collect', '--channel', path.join(dir, 'none'), '--out', path.join(dir, 'out'), '--host', 'h', '--live-socket', path.join(dir, 's'), '--live-group', 'no-such-group-krelay'])
  assert.equal(await p.exited, 2)
  assert.equal(p.stderr(), 'krelay collect: --live-group no-such-group-krelay: no such group in /etc/group\n')
})

test('a second collector on the same socket is refused before it touches its archive; after a SIGKILL the socket is taken over', async () => {
  const sim = new RelaySim({ cpus: [0], subbufSize: 4096, nSubbufs: 8, flushIntervalMs: 5 })
  const stopServing = serveControl(sim)
  const dir = tempDir('krelay-collect-')
  const socket = path.join(dir, 'run', 'live.sock')
  const first = await startCollector(sim, path.join(dir, 'a'), socket)
  const second = run(['collect', '--channel', sim.dir, '--out', path.join(dir, 'b'), '--host', 'sim', '--live-socket', socket])
  assert.equal(await second.exited, 1)
  assert.match(second.stderr(), new RegExp(`^krelay collect: another collector serves ${socket}: stop it first`, 'm'))
  assert.equal(fs.existsSync(path.join(dir, 'b')), false, 'nothing written')
  first.child.kill('SIGKILL')
  await first.exited
  assert.ok(fs.lstatSync(socket).isSocket(), 'left behind')
  const third = await startCollector(sim, path.join(dir, 'c'), socket)
  assert.equal(await stop(third), 0, third.stderr())
  assert.equal(fs.existsSync(socket), false, 'removed at a clean stop')
  stopServing()
  sim.destroy()
})
