// Runs INSIDE the test VM (vm/run-suite.ts): is the guest what the harness promises?
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { accessSync, constants, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const inVm = process.env.KRELAY_IN_VM === '1'
const skip = inVm ? false : 'not in the krelay test VM (run it with npm run test:vm)'

function env (name: string): string {
  const v = process.env[name]
  assert.ok(v, `${name} is not set in the guest`)
  return v
}

function mounts (): { dir: string; type: string }[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' '))
    .map(([, dir = '', type = '']) => ({ dir, type }))
}

/** The vermagic string from a .ko's .modinfo section. */
function vermagic (ko: string): string {
  const buf = readFileSync(ko)
  const at = buf.indexOf('vermagic=')
  assert.ok(at >= 0, `${ko} has no vermagic`)
  return buf.toString('latin1', at + 'vermagic='.length, buf.indexOf(0, at))
}

test('runs as root', { skip }, () => {
  assert.equal(process.getuid?.(), 0)
})

test('runs the requested kernel', { skip }, () => {
  assert.equal(os.release(), env('KRELAY_KERNEL_RELEASE'))
  assert.ok(os.release().startsWith(`${env('KRELAY_KERNEL')}.`), `${os.release()} is not ${env('KRELAY_KERNEL')}`)
})

test('has the requested number of CPUs', { skip }, () => {
  assert.equal(os.cpus().length, Number(env('KRELAY_VM_CPUS')))
})

test('debugfs is mounted at /sys/kernel/debug', { skip }, () => {
  assert.ok(mounts().some((m) => m.dir === '/sys/kernel/debug' && m.type === 'debugfs'))
})

test('kernel is not locked down (debugfs mmap allowed)', { skip }, () => {
  const f = '/sys/kernel/security/lockdown'
  if (existsSync(f)) assert.match(readFileSync(f, 'utf8'), /\[none\]/)
})

test('/tmp is a writable tmpfs and KRELAY_RESULTS is writable', { skip }, () => {
  assert.ok(mounts().some((m) => m.dir === '/tmp' && m.type === 'tmpfs'))
  const results = env('KRELAY_RESULTS')
  accessSync(results, constants.W_OK)
  writeFileSync(path.join(results, 'boot.txt'), `${os.release()}\n`)
})

test('output is uncoloured', { skip }, () => {
  assert.equal(process.env.NO_COLOR, '1')
})

test('KRELAY_KO exists and was built for this kernel', { skip }, () => {
  const ko = env('KRELAY_KO')
  assert.ok(statSync(ko).isFile(), `${ko} is not a file`)
  assert.ok(vermagic(ko).startsWith(`${os.release()} `), `vermagic "${vermagic(ko)}" is not for ${os.release()}`)
})

test('KRELAY_BIN is the krelay command transpiled on the host, and it answers as bin/krelay.js does', { skip }, () => {
  const bin = env('KRELAY_BIN')
  assert.match(bin, /\/\.cache\/js\/[0-9a-f]{16}\/bin\/krelay\.js$/)
  const run = (file: string): string => execFileSync(process.execPath, [file, 'status', '--help'], { encoding: 'utf8' })
  assert.equal(run(bin), run(fileURLToPath(new URL('../../../bin/krelay.js', import.meta.url))))
})
