// Runs inside the test VM: krelay collect with the privileges packaging/systemd/krelay.service
// leaves it, against the real module. The unit keeps root but bounds its capabilities to
// CAP_CHOWN, with NoNewPrivileges; setpriv(1) sets the same here (systemd is not PID 1 in
// the guest). The module's debugfs files are root's and opened as their owner, so the
// collector needs no capability to map, acknowledge and wait; CAP_CHOWN gives the live
// socket to --live-group. Without it, that chown is refused.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { startCollectorReading, type CollectorProcess } from '../../../cli/demo/collector-process.ts'
import { control, info, load, unload, waitGeneratorIdle } from './kmod.ts'
import { assertExactlyOnce, freshDir, stats, stopCollector, waitConsumed } from './demo-lib.ts'

// the first collector of a boot loads DuckDB over 9p: minutes in a TCG guest on a loaded host
const START_MS = 600_000
const unitCaps = ['setpriv', '--bounding-set=-all,+chown', '--inh-caps=-all', '--no-new-privs', '--']
const noCaps = ['setpriv', '--bounding-set=-all', '--inh-caps=-all', '--no-new-privs', '--']

let collector: CollectorProcess | undefined

test.afterEach(async () => {
  if (collector?.running) await collector.stop('SIGKILL')
  unload()
})

function start (wrapper: string[], out: string, spool: string, socket: string): Promise<CollectorProcess> {
  const args = ['--out', out, '--spool', spool, '--host', 'krelay-test', '--live-socket', socket, '--live-group', 'adm']
  return startCollectorReading(args, spool, { wrapper, log: line => process.stdout.write(`    caps: ${line}\n`), timeoutMs: START_MS })
}

function effectiveCaps (pid: number): string {
  return /^CapEff:\s*([0-9a-f]+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!
}

test('with only CAP_CHOWN (the unit\'s bounding set) the collector maps, acknowledges and archives every record', async () => {
  const out = freshDir('krelay-test-caps-out')
  const spool = freshDir('krelay-test-caps-spool')
  const socket = path.join(freshDir('krelay-test-caps-run'), 'live.sock')
  load('subbuf_size=65536', 'n_subbufs=16')
  const channelId = info().get('channel_id')!
  const c = collector = await start(unitCaps, out, spool, socket)
  assert.equal(effectiveCaps(c.pid), '0000000000000001', 'CAP_CHOWN alone')
  assert.equal(fs.statSync(socket).gid, Number(execFileSync('getent', ['group', 'adm'], { encoding: 'utf8' }).split(':')[2]), 'the live socket is group adm')
  assert.equal(fs.statSync(socket).mode & 0o777, 0o660)
  assert.equal(control('gen 20000 10000'), 'ok')
  await waitGeneratorIdle()
  await waitConsumed()
  await stopCollector(c)
  const kernel = stats()
  assert.deepEqual(kernel.map(r => r.written + r.dropped), kernel.map(() => 20000), 'the generator\'s run, per CPU')
  await assertExactlyOnce(out, channelId, kernel)
})

test('with no capability at all, giving the live socket to a group is refused', async () => {
  const out = freshDir('krelay-test-nocaps-out')
  const spool = freshDir('krelay-test-nocaps-spool')
  const socket = path.join(freshDir('krelay-test-nocaps-run'), 'live.sock')
  load()
  await assert.rejects(start(noCaps, out, spool, socket).then(c => { collector = c }), /exited [\s\S]*(EPERM|not permitted)/)
})
