import assert from 'node:assert/strict'
import { test } from 'node:test'
import { badTaint, findKernelTrouble, judge, type Evidence } from '../../../vm/verdict.ts'

const nonce = 'abcdef0123456789'
const good: Evidence = {
  nonce,
  console: '[    1.2] Run /init as init process\nkrelay-vm: init started\nok 1 - a test\n',
  marker: `krelay-vm-done nonce=${nonce} status=0\n`,
  dmesg: '[    1.2] Run /init as init process\n',
  tainted: '12288\n', // O + E: out-of-tree, unsigned module: fine
  qemuCode: 85,
  qemuSignal: null,
  qemuStderr: '',
  timedOut: false,
  timeoutMs: 60_000,
}

test('a clean run passes', () => {
  assert.deepEqual(judge(good), { ok: true, reason: 'passed', exitCode: 0 })
  assert.equal(judge({ ...good, qemuCode: 0 }).ok, true) // poweroff -f fallback
})

test('command failure', () => {
  const v = judge({ ...good, marker: `krelay-vm-done nonce=${nonce} status=3` })
  assert.deepEqual(v, { ok: false, reason: 'command exited with status 3', exitCode: 3 })
})

test('missing marker: panic reboot exits qemu with 0, still a failure', () => {
  const v = judge({ ...good, marker: null, dmesg: null, tainted: null, qemuCode: 0 })
  assert.equal(v.ok, false)
  assert.match(v.reason, /no result marker/)
})

test('stale marker from another run', () => {
  const v = judge({ ...good, marker: 'krelay-vm-done nonce=0000000000000000 status=0' })
  assert.equal(v.ok, false)
  assert.match(v.reason, /stale/)
  assert.equal(v.exitCode, null)
})

test('kernel trouble on the console fails an otherwise good run', () => {
  for (const line of [
    '[   12.345678] BUG: kernel NULL pointer dereference, address: 0000000000000000',
    '[   12.345678] Oops: 0002 [#1] PREEMPT SMP NOPTI',
    '[   12.345678] WARNING: CPU: 1 PID: 99 at krelay.c:10 f+0x1/0x2 [krelay]',
    '[   12.345678] general protection fault, probably for non-canonical address',
    '[   12.345678] Kernel panic - not syncing: Fatal exception',
    '[   12.345678] watchdog: BUG: soft lockup - CPU#0 stuck for 22s!',
    '[   12.345678] kernel BUG at krelay.c:19!',
    '[   12.345678] Call Trace:',
    'ok 3 - interleaved[   12.345678] Call Trace:',
  ]) {
    const v = judge({ ...good, console: good.console + line + '\n' })
    assert.equal(v.ok, false, line)
    assert.match(v.reason, /^kernel error: /)
  }
})

test('test output that merely mentions BUG: is not kernel trouble', () => {
  assert.equal(findKernelTrouble('not ok 1 - detects BUG: in output\n# Call Trace: expected'), null)
})

test('kernel trouble only in dmesg (console loglevel) still fails', () => {
  const v = judge({ ...good, dmesg: '[    3.0] WARNING: CPU: 0 PID: 1 at x.c:1\n' })
  assert.match(v.reason, /^kernel error: .*WARNING/)
})

test('timeout wins and mentions kernel trouble', () => {
  const v = judge({ ...good, marker: null, timedOut: true, qemuCode: null, qemuSignal: 'SIGKILL' })
  assert.match(v.reason, /^timeout: guest still running after 60s$/)
  const w = judge({ ...good, marker: null, timedOut: true, console: '[ 1.0] BUG: soft lockup\n' })
  assert.match(w.reason, /^timeout: .*kernel: .*BUG: soft lockup/)
})

test('guest init failure', () => {
  const v = judge({ ...good, marker: null, console: 'krelay-vm: FATAL: mount 9p hostroot\n', qemuCode: 87 })
  assert.equal(v.reason, 'guest init failed: mount 9p hostroot')
})

test('taint: W and D fail, O and E do not', () => {
  assert.equal(badTaint('12288'), null)
  assert.match(badTaint(String(12288 + 512)) ?? '', /W \(warning\)/)
  assert.match(badTaint(String(128)) ?? '', /D \(oops/)
  assert.equal(judge({ ...good, tainted: '512' }).ok, false)
})

test('unexpected qemu exit status fails', () => {
  assert.match(judge({ ...good, qemuCode: 1 }).reason, /qemu exited with 1/)
})
