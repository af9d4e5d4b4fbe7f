import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { initScript } from '../../../vm/init-script.ts'
import { cmdScript, jobEnv, pathsToKeep, shQuote } from '../../../vm/job.ts'
import { qemuArgs } from '../../../vm/qemu-args.ts'
import { failedTests, parseTestCounts } from '../../../vm/test-summary.ts'
import { tempDir } from '../../temp-dir.ts'

const tmp = tempDir('krelay-vm-unit-')

function sh (script: string, ...args: string[]): string {
  const f = path.join(tmp, 's.sh')
  writeFileSync(f, script)
  return execFileSync('sh', [f, ...args], { encoding: 'utf8' })
}

test('init script: modules in order, valid sh, exits through isa-debug-exit', () => {
  const s = initScript({ modules: ['virtio.ko', '9p.ko'] })
  assert.ok(s.startsWith('#!/bin/busybox sh\n'))
  assert.match(s, /for m in virtio\.ko 9p\.ko; do/)
  assert.match(s, /mount -t debugfs debugfs \/host\/sys\/kernel\/debug/)
  assert.match(s, /guest_exit '\\052'\n$/)
  execFileSync('sh', ['-n', '-c', s])
  assert.throws(() => initScript({ modules: ['a b.ko'] }))
})

test('shQuote survives quotes, spaces and $', () => {
  const nasty = 'it\'s a "$HOME" \\ test'
  assert.equal(sh(`printf '%s' ${shQuote(nasty)}`), nasty)
})

test('cmd.sh: cd, then exec with exactly the given env', () => {
  const job = { nonce: 'ab12ab12', cwd: tmp, command: ['sh', '-c', 'echo "$A|$B|$HOME"; pwd'], env: { A: "x y'z", B: '$C' }, keep: [] }
  const out = sh(cmdScript(job))
  assert.equal(out, `x y'z|$C|\n${tmp}\n`)
  assert.throws(() => cmdScript({ ...job, env: { 'A-B': '1' } }), /bad env name/)
  assert.throws(() => cmdScript({ ...job, command: [] }), /empty/)
})

test('job.env: nonce and kept paths are validated', () => {
  const job = { nonce: 'ab12ab12', cwd: '/', command: ['true'], env: {}, keep: ['/tmp/a', '/tmp/b'] }
  assert.equal(jobEnv(job), "JOB_NONCE=ab12ab12\nJOB_KEEP='/tmp/a /tmp/b'\n")
  assert.throws(() => jobEnv({ ...job, nonce: 'x;reboot' }))
  assert.throws(() => jobEnv({ ...job, keep: ['/tmp/a b'] }))
  assert.throws(() => jobEnv({ ...job, keep: ['/tmp/../etc'] }))
})

test('pathsToKeep: only paths under /tmp, deduplicated', () => {
  assert.deepEqual(pathsToKeep(['/work/main', '/tmp/x', '/tmp/x', '/tmp/a']), ['/tmp/a', '/tmp/x'])
  assert.throws(() => pathsToKeep(['/tmp']))
})

test('qemu args: TCG, qboot, no network, read-only root share, debug exit', () => {
  const a = qemuArgs({ vmlinuz: '/k', initrd: '/i', runDir: '/r', cpus: 4, memMiB: 2048, bios: '/q.rom' }).join(' ')
  for (const s of ['-accel tcg,thread=single', '-cpu max', '-smp 4', '-m 2048M', '-nic none', '-no-reboot', '-bios /q.rom']) assert.ok(a.includes(s), s)
  assert.match(a, /-fsdev local,id=hostroot,path=\/,readonly=on,security_model=none,multidevs=remap/)
  assert.match(a, /-fsdev local,id=krelayrun,path=\/r,security_model=none/)
  assert.match(a, /isa-debug-exit,iobase=0xf4/)
  assert.match(a, /console=ttyS0 panic=-1 oops=panic/)
  assert.throws(() => qemuArgs({ vmlinuz: '/k', initrd: '/i', runDir: '/r,x', cpus: 1, memMiB: 1, bios: '/q' }))
})

test('parseTestCounts reads the spec and tap summaries', () => {
  const spec = '✔ a (1ms)\nℹ tests 8\nℹ suites 0\nℹ pass 7\nℹ fail 1\nℹ cancelled 0\nℹ skipped 0\nℹ todo 0\n'
  assert.deepEqual(parseTestCounts(spec), { tests: 8, pass: 7, fail: 1, skipped: 0, cancelled: 0, todo: 0 })
  assert.equal(parseTestCounts('# tests 2\n# pass 2\n')?.pass, 2)
  assert.equal(parseTestCounts('nothing ran'), null)
})

test('failedTests names each failing test of the spec summary once, with its error\'s first line', () => {
  const spec = '✖ b fails (1ms)\n  Error: early\nℹ tests 3\nℹ fail 2\n\n✖ failing tests:\n\ntest at a.js:3:1\n✖ b fails (0.88ms)\n  Error: boom\n      at x\n\n' +
    'test at a.js:4:34\n✖ inner bad (0.4ms)\n  AssertionError [ERR_ASSERTION]: 1 !== 2\n'
  assert.deepEqual(failedTests(spec), ['b fails: Error: boom', 'inner bad: AssertionError [ERR_ASSERTION]: 1 !== 2'])
  assert.deepEqual(failedTests('✔ a (1ms)\nℹ tests 1\n'), [])
})
