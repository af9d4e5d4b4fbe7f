// packaging/install.sh --root DIR run for real: every file lands where the unit, DKMS and
// systemd-modules-load look for it, with its mode; an operator's configuration is kept.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { REPO, runInstall, stageInstall } from './stage.ts'

const version = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version

function mode (file: string): string {
  return (fs.lstatSync(file).mode & 0o7777).toString(8).padStart(4, '0')
}

function sameFile (installed: string, source: string): void {
  assert.ok(fs.readFileSync(installed).equals(fs.readFileSync(path.join(REPO, source))), `${installed} is not ${source}`)
}

test('every file lands with its mode', () => {
  const root = stageInstall()
  const at = (p: string): string => path.join(root, p)
  sameFile(at('etc/systemd/system/krelay.service'), 'packaging/systemd/krelay.service')
  assert.equal(mode(at('etc/systemd/system/krelay.service')), '0644')
  sameFile(at('etc/modules-load.d/krelay.conf'), 'packaging/systemd/modules-load.conf')
  assert.equal(mode(at('etc/modules-load.d/krelay.conf')), '0644')
  sameFile(at('etc/krelay/krelay.toml'), 'packaging/krelay.toml')
  assert.equal(mode(at('etc/krelay/krelay.toml')), '0640')
  assert.equal(fs.readlinkSync(at('usr/local/bin/krelay')), '/opt/krelay/bin/krelay.js')
  assert.equal(mode(at('opt/krelay/bin/krelay.js')), '0755')
  // the application: every tracked file of the checkout, nothing else (no node_modules: npm ci makes it)
  const tracked = execFileSync('git', ['-C', REPO, 'ls-files'], { encoding: 'utf8' }).split('\n').filter(f => f !== '')
  const copied = (fs.readdirSync(at('opt/krelay'), { recursive: true }) as string[])
    .filter(f => !fs.statSync(path.join(at('opt/krelay'), f)).isDirectory()).sort()
  assert.deepEqual(copied, tracked.filter(f => fs.existsSync(path.join(REPO, f))).sort())
  // the module's source for DKMS: kmod/ and the header it includes from formats/, dkms.conf on top
  const usrc = at(`usr/src/krelay-${version}`)
  sameFile(path.join(usrc, 'dkms.conf'), 'kmod/dkms.conf')
  const kmod = fs.readdirSync(path.join(REPO, 'kmod')).filter(f => /\.[ch]$|^Makefile$/.test(f)).sort()
  assert.deepEqual(fs.readdirSync(path.join(usrc, 'kmod')).sort(), kmod)
  for (const f of kmod) {
    sameFile(path.join(usrc, 'kmod', f), `kmod/${f}`)
    assert.equal(mode(path.join(usrc, 'kmod', f)), '0644')
  }
  sameFile(path.join(usrc, 'formats/krelay_abi.h'), 'formats/krelay_abi.h')
  assert.equal(mode(usrc), '0755')
})

test('a second run keeps the operator\'s krelay.toml and replaces the module source', () => {
  const root = stageInstall()
  const toml = path.join(root, 'etc/krelay/krelay.toml')
  fs.writeFileSync(toml, 'channel = "/sys/kernel/debug/krelay"\n# edited\n')
  const stale = path.join(root, `usr/src/krelay-${version}/kmod/old.c`)
  fs.writeFileSync(stale, '')
  const r = runInstall(['--root', root])
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, /krelay\.toml exists: kept/)
  assert.equal(fs.readFileSync(toml, 'utf8'), 'channel = "/sys/kernel/debug/krelay"\n# edited\n')
  assert.equal(fs.existsSync(stale), false)
})

test('an unknown argument is a usage error', () => {
  const r = runInstall(['--rot', '/tmp/x'])
  assert.equal(r.status, 2)
  assert.match(r.stderr, /unknown argument --rot/)
})
