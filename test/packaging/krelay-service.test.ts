// packaging/systemd/krelay.service as systemd reads it: `systemd-analyze verify` on the
// unit where install.sh put it, in a root that also holds what Debian's base has (systemd's
// own units, /bin/kill, merged /usr), so that the binaries it names are checked for real.
// systemd is not PID 1 here: starting the unit is not tested (test/cli/collect/sd-notify.test.ts
// tests the readiness it relies on against a real NOTIFY_SOCKET).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { stageInstall } from './stage.ts'

function debianBase (root: string): void {
  fs.mkdirSync(path.join(root, 'usr/lib/systemd'), { recursive: true })
  fs.cpSync('/usr/lib/systemd/system', path.join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true })
  fs.mkdirSync(path.join(root, 'usr/bin'), { recursive: true })
  fs.copyFileSync('/usr/bin/kill', path.join(root, 'usr/bin/kill'))
  fs.chmodSync(path.join(root, 'usr/bin/kill'), 0o755)
  fs.symlinkSync('usr/lib', path.join(root, 'lib'))
  fs.symlinkSync('usr/bin', path.join(root, 'bin'))
}

function analyze (args: string[]): { status: number | null, stdout: string, stderr: string } {
  const r = spawnSync('systemd-analyze', args, { encoding: 'utf8', timeout: 30_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

test('systemd-analyze verify passes on the installed unit, with nothing on stderr', () => {
  const root = stageInstall()
  debianBase(root)
  const r = analyze(['verify', `--root=${root}`, 'krelay.service'])
  assert.equal(r.stderr, '')
  assert.equal(r.status, 0)
})

test('verify checks what the unit names: without the collector installed it fails', () => {
  const root = stageInstall()
  debianBase(root)
  fs.rmSync(path.join(root, 'opt/krelay/bin/krelay.js'))
  const r = analyze(['verify', `--root=${root}`, 'krelay.service'])
  assert.notEqual(r.status, 0)
  assert.match(r.stderr, /Command \/opt\/krelay\/bin\/krelay\.js is not executable/)
})

test('systemd-analyze security rates the unit OK (exposure below 3)', () => {
  const root = stageInstall()
  debianBase(root)
  const r = analyze(['security', '--offline=true', `--root=${root}`, 'krelay.service'])
  assert.equal(r.status, 0, r.stderr)
  const m = /Overall exposure level for krelay\.service: (\d+\.\d+) (\w+)/.exec(r.stdout)
  assert.ok(m, r.stdout)
  assert.ok(Number(m[1]) < 3, `exposure ${m[1]} ${m[2]}:\n${r.stdout}`)
})
