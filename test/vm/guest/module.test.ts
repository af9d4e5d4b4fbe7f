// Runs inside the test VM: loading, parameters, files, control errors, unload while mapped.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import { once } from 'node:events'
import { control, DIR, info, insmod, kernelLog, load, unload, waitGeneratorIdle } from './kmod.ts'

test.afterEach(() => unload())

test('bad module parameters refuse to load, naming the parameter', () => {
  const bad: Array<[string, string]> = [
    ['subbuf_size=1000', 'subbuf_size'],
    ['subbuf_size=12288', 'subbuf_size'],
    ['subbuf_size=8388608', 'subbuf_size'],
    ['n_subbufs=1', 'n_subbufs'],
    ['n_subbufs=100000', 'n_subbufs'],
    ['flush_ms=0', 'flush_ms'],
    ['flush_ms=600000', 'flush_ms'],
  ]
  for (const [param, name] of bad) {
    const r = insmod(param)
    assert.notEqual(r.status, 0, `insmod ${param} should fail`)
    assert.equal(fs.existsSync(DIR), false, `${param}: no channel may remain`)
    assert.match(kernelLog(), new RegExp(`krelay: ${name}=${param.split('=')[1]}`), `the kernel log names ${param}`)
  }
})

test('defaults: one mmap-able file per CPU, info describes the channel', () => {
  load()
  const keys = info()
  assert.equal(keys.get('abi_version'), '1')
  assert.equal(keys.get('subbuf_size'), '262144')
  assert.equal(keys.get('n_subbufs'), '8')
  assert.equal(keys.get('flush_interval_ms'), '100')
  assert.equal(keys.get('clock'), 'monotonic')
  assert.match(keys.get('channel_id') ?? '', /^[0-9a-f]{16}$/)
  const offset = BigInt(keys.get('mono_to_realtime_ns') ?? '0')
  const wall = BigInt(Date.now()) * 1000000n
  const mono = process.hrtime.bigint()
  assert.ok(offset + mono > wall - 10n ** 9n && offset + mono < wall + 10n ** 9n, 'mono + offset is UTC now, within 1 s')
  const cpus = [...Array(os.cpus().length).keys()]
  assert.equal(keys.get('cpus'), cpus.join(' '))
  const files = fs.readdirSync(DIR).sort()
  assert.deepEqual(files, [...cpus.map(c => `cpu${c}`), 'control', 'info', 'stats', 'wait'].sort())
  for (const f of files) {
    const mode = fs.statSync(`${DIR}/${f}`).mode & 0o777
    assert.equal(mode & 0o077, 0, `${f} must be root-only (mode ${mode.toString(8)})`)
  }
})

test('every malformed or out-of-range control write fails and changes nothing', async () => {
  load()
  const before = info()
  const cases: Array<[string | Buffer, string]> = [
    ['\n', 'EINVAL'],
    ['nonsense', 'EINVAL'],
    ['ack', 'EINVAL'],
    ['ack 0', 'EINVAL'],
    ['ack 0 1 2', 'EINVAL'],
    ['ack x 1', 'EINVAL'],
    ['ack 0 -1', 'EINVAL'],
    ['ack 0 1', 'EINVAL'],
    ['ack 4096 0', 'EINVAL'],
    ['ack 0 18446744073709551616', 'EINVAL'],
    ['ack  0 0', 'EINVAL'],
    ['level 8', 'EINVAL'],
    ['level loud', 'EINVAL'],
    ['level', 'EINVAL'],
    ['gen 0 0', 'EINVAL'],
    ['gen 1000000001 0', 'EINVAL'],
    ['gen 10 10000001', 'EINVAL'],
    ['gen 10', 'EINVAL'],
    ['gen ten 0', 'EINVAL'],
    ['source sched maybe', 'EINVAL'],
    ['source disk on', 'EINVAL'],
    ['flush now', 'EINVAL'],
    ['start\n\n', 'EINVAL'],
    ['x'.repeat(200), 'EINVAL'],
    [Buffer.from([0xff, 0x00, 0x41, 0x0a]), 'EINVAL'],
  ]
  for (const [command, errno] of cases) {
    assert.equal(control(command), errno, `control ${JSON.stringify(command.toString())}`)
  }
  assert.deepEqual([...info()].filter(([k]) => k !== 'mono_to_realtime_ns'), [...before].filter(([k]) => k !== 'mono_to_realtime_ns'))
  assert.equal(control('ack 0 0'), 'ok', 'an ack at or below the last is a no-op')
  assert.equal(control('gen 100000 1000'), 'ok')
  assert.equal(control('gen 10 0'), 'EBUSY', 'a second run while one is in progress')
  assert.equal(control('gen-stop'), 'ok')
  await waitGeneratorIdle()
  assert.equal(control('level warning'), 'ok')
  assert.equal(info().get('min_level'), '4')
  assert.equal(control('level 7\n'), 'ok')
  assert.equal(control('stop'), 'ok')
  assert.equal(info().get('running'), '0')
  assert.equal(control('start'), 'ok')
  assert.equal(control('reset-stats'), 'ok')
})

test('rmmod while a consumer has every CPU file mapped and open is safe, and the data stays readable', async () => {
  load()
  assert.equal(control('gen 1000 0'), 'ok')
  await waitGeneratorIdle()
  // A separate process maps every file, waits while the module goes away, then reads
  // every record from its mappings and exits: the last unmap happens after rmmod.
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/vm/guest/hold-mapped.ts', DIR, '1000'], { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = once(child, 'exit')
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => { out += s })
  child.stderr.setEncoding('utf8').on('data', (s: string) => { out += s })
  const mapped = new Promise<void>(resolve => child.stdout.on('data', () => { if (out.includes('mapped\n')) resolve() }))
  const first = await Promise.race([mapped.then(() => 'mapped'), exited.then(() => 'exited')])
  assert.equal(first, 'mapped', `the holder exited before mapping: ${out}`)
  unload()
  assert.equal(fs.existsSync(DIR), false, 'the directory is gone after rmmod')
  child.kill('SIGUSR1')
  const [code] = await exited
  assert.equal(code, 0, `the holder could not read its mappings after rmmod: ${out}`)
  assert.match(out, /records 1000 per cpu/)
  load()
  assert.match(info().get('channel_id') ?? '', /^[0-9a-f]{16}$/, 'the module loads again')
})

test('open info, stats and control files do not hold the module (unpinned_files 1): rmmod unloads it, they then fail with EIO and close safely', () => {
  load()
  assert.equal(info().get('unpinned_files'), '1')
  const stats = fs.openSync(`${DIR}/stats`, 'r')
  const infoFd = fs.openSync(`${DIR}/info`, 'r')
  const ctl = fs.openSync(`${DIR}/control`, 'w')
  // a pread from offset 0 prints the table again: a consumer reads it through one descriptor
  const buf = Buffer.alloc(65536)
  const first = buf.toString('latin1', 0, fs.readSync(stats, buf, 0, buf.length, 0))
  assert.equal(fs.writeSync(ctl, 'gen 1000 0'), 'gen 1000 0'.length, 'a command through a descriptor kept open')
  const written = (text: string): number => text.split('\n').slice(1).filter(Boolean).reduce((n, row) => n + Number(row.split(' ')[2]), 0)
  let again = ''
  for (let i = 0; i < 500 && written(again) < 1000 * os.cpus().length; i++) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20)
    again = buf.toString('latin1', 0, fs.readSync(stats, buf, 0, buf.length, 0))
  }
  assert.equal(written(first), 0)
  assert.equal(written(again), 1000 * os.cpus().length, 'the same descriptor shows the generator\'s records')
  // rmmod with all three open: no retry, no "in use"
  execFileSync('rmmod', ['krelay'], { timeout: 30_000 })
  assert.equal(fs.existsSync(DIR), false)
  assert.throws(() => fs.readSync(stats, buf, 0, buf.length, 0), { code: 'EIO' })
  assert.throws(() => fs.readSync(infoFd, buf, 0, buf.length, 0), { code: 'EIO' })
  assert.throws(() => fs.writeSync(ctl, 'flush'), { code: 'EIO' })
  load() // a new instance while descriptors of the old one are open: they stay the old one's
  assert.throws(() => fs.readSync(stats, buf, 0, buf.length, 0), { code: 'EIO' })
  for (const fd of [stats, infoFd, ctl]) fs.closeSync(fd)
  unload()
  assert.doesNotMatch(kernelLog(), /BUG:|Oops|WARNING:|general protection/)
})
