// Readiness as systemd sees it: a real NOTIFY_SOCKET (python3 binds it), the real
// systemd-notify, and krelay collect over the simulator as the service runs it (--follow).
// systemd is not PID 1 on this machine, so the service manager's side is stood in for by
// the listener; the unit itself is checked by test/packaging/unit.test.ts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { RelaySim } from '../../../collector/sim/relay-sim.ts'
import { sdNotify } from '../../../cli/collect/sd-notify.ts'
import { serveControl } from '../../collector/collect/sim-driver.ts'
import { run, until } from '../live-run.ts'
import { listenNotify } from './notify-listener.ts'
import { tempDir } from '../../temp-dir.ts'

test('READY=1 only once the channel is attached, STOPPING=1 at SIGTERM, then a clean exit', async (t) => {
  const dir = tempDir('krelay-notify-')
  const socket = path.join(dir, 'notify.sock')
  const channel = path.join(dir, 'channel')
  const out = path.join(dir, 'archive')
  // an empty channel directory: what a collector sees while the module is not loaded
  fs.mkdirSync(channel)
  const listener = await listenNotify(socket)
  t.after(() => listener.close())
  // the module is not loaded when the service starts: readiness must wait for it
  const collector = run(['collect', '--channel', channel, '--out', out, '--host', 'sim', '--fsync', 'never', '--no-live', '--follow'],
    { env: { ...process.env, KRELAY_DEBUG: '', NOTIFY_SOCKET: socket } })
  t.after(() => { collector.child.kill('SIGKILL') })
  await until(() => /waiting for the krelay module/.test(collector.stderr()), 'the collector to wait for the module')
  await sleep(1000)
  assert.deepEqual(listener.messages, [`STATUS=starting: waiting for the krelay channel at ${channel}`], 'no READY=1 while the module is absent')

  const sim = new RelaySim({ dir: channel, subbufSize: 4096, flushIntervalMs: 5 })
  const stopServing = serveControl(sim)
  t.after(() => { stopServing(); sim.destroy() })
  let segmentsAtReady: string[] | undefined
  await until(() => {
    if (!listener.messages.some(m => m.startsWith('READY=1'))) return false
    segmentsAtReady = fs.readdirSync(path.join(out, '.spool')).filter(n => n.endsWith('.krcap'))
    return true
  }, 'READY=1')
  assert.ok(segmentsAtReady!.length > 0, 'when READY=1 arrives, capture has opened its spool segment for the channel')
  assert.equal(listener.messages[1], `READY=1\nSTATUS=collecting channel ${sim.channelId}`)

  collector.child.kill('SIGTERM')
  assert.equal(await collector.exited, 0, collector.stderr())
  // sent before the exit: the collector waits for its messages to go out
  assert.deepEqual(listener.messages.slice(2), ['STOPPING=1\nSTATUS=stopping: archiving what is left, then publishing'])
  assert.doesNotMatch(collector.stderr(), /could not tell systemd/)
})

test('without NOTIFY_SOCKET nothing is sent', async () => {
  const marker = path.join(tempDir('krelay-notify-'), 'ran')
  const fake = path.join(path.dirname(marker), 'fake-notify')
  fs.writeFileSync(fake, `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 })
  const lines: string[] = []
  const n = sdNotify(l => lines.push(l), {}, fake)
  n.status('x')
  n.attached('0123456789abcdef')
  n.stopping()
  await n.flush()
  assert.equal(fs.existsSync(marker), false)
  assert.deepEqual(lines, [])
})

test('a message that cannot be sent is one log line each, and nothing throws', async () => {
  const socket = path.join(tempDir('krelay-notify-'), 'nobody-listens.sock')
  const lines: string[] = []
  const n = sdNotify(l => lines.push(l), { ...process.env, NOTIFY_SOCKET: socket })
  n.attached('0123456789abcdef')
  n.stopping()
  await n.flush()
  assert.equal(lines.length, 2, lines.join('\n'))
  assert.match(lines[0]!, new RegExp(`^could not tell systemd --ready --status=collecting channel 0123456789abcdef \\(NOTIFY_SOCKET=${socket}\\): systemd-notify exited with 1`))
  assert.match(lines[1]!, /^could not tell systemd STOPPING=1 /)
})
