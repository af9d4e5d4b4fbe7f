// krelay collect as a user meets it: its live socket (a group that does not exist, a second
// collector on the same socket, a socket left behind by a collector that was SIGKILLed), and
// the configuration file it runs with.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { RelaySim } from '../../collector/sim/relay-sim.ts'
import { collectorReading, serveControl } from '../collector/collect/sim-driver.ts'
import { run, startCollector, stop } from './live-run.ts'
import { tempDir } from '../temp-dir.ts'

test('--live-group naming no group: exit 2, one line', async () => {
  const dir = tempDir('krelay-collect-')
  const p = run(['collect', '--channel', path.join(dir, 'none'), '--out', path.join(dir, 'out'), '--host', 'h', '--live-socket', path.join(dir, 's'), '--live-group', 'no-such-group-krelay'])
  assert.equal(await p.exited, 2)
  assert.equal(p.stderr(), 'krelay collect: --live-group no-such-group-krelay: no such group in /etc/group\n')
})

test('a world-writable --spool, a --out that is a file, and a bad --file-mode: exit 2, one line naming it, nothing created', async () => {
  const dir = tempDir('krelay-collect-')
  const spool = path.join(dir, 'spool')
  fs.mkdirSync(spool)
  fs.chmodSync(spool, 0o777)
  const base = ['collect', '--channel', path.join(dir, 'none'), '--host', 'h', '--no-live']
  const p = run([...base, '--out', path.join(dir, 'out'), '--spool', spool])
  assert.equal(await p.exited, 2)
  assert.equal(p.stderr(), `krelay collect: --spool ${spool} is world-writable (mode 0777): anyone could plant files there; give the collector a directory of its own (chmod o-w, or another path)\n`)
  fs.writeFileSync(path.join(dir, 'file'), '')
  const q = run([...base, '--out', path.join(dir, 'file')])
  assert.equal(await q.exited, 2)
  assert.equal(q.stderr(), `krelay collect: --out ${path.join(dir, 'file')} is not a directory\n`)
  const r = run([...base, '--out', path.join(dir, 'out'), '--file-mode', '0644'])
  assert.equal(await r.exited, 2)
  assert.equal(r.stderr(), 'krelay collect: --file-mode must be an octal mode such as 0640 or 0600, with no x bits and nothing for others, got "0644"\n')
  assert.equal(fs.existsSync(path.join(dir, 'out')), false)
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

test('--config FILE: the collector runs with the file\'s settings; a flag overrides the file', async () => {
  const sim = new RelaySim({ cpus: [0], subbufSize: 4096, nSubbufs: 8, flushIntervalMs: 5 })
  const stopServing = serveControl(sim)
  const dir = tempDir('krelay-collect-')
  const out = path.join(dir, 'from-file')
  const socket = path.join(dir, 'run', 'file.sock')
  const config = path.join(dir, 'krelay.toml')
  fs.writeFileSync(config, `channel = ${JSON.stringify(sim.dir)}\nhost = "from-file"\n[archive]\nout = ${JSON.stringify(out)}\n` +
    `[spool]\nfsync = "always"\n[live]\nsocket = ${JSON.stringify(socket)}\n`)
  const p = run(['collect', '--config', config, '--fsync', 'never'])
  await collectorReading(path.join(out, '.spool'))
  assert.ok(fs.lstatSync(socket).isSocket(), 'the file\'s live socket')
  assert.equal(await stop(p), 0, p.stderr())
  assert.match(p.stderr(), new RegExp(`collecting from ${sim.dir} into ${out} \\(host from-file, spool ${out}/\\.spool, fsync never\\)`))
  assert.match(p.stdout(), new RegExp(`files in ${out}; 1 channel`))
  stopServing()
  sim.destroy()
})
