// Opening a channel: every failure says what is wrong and how to fix it.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { openChannel } from '../../../collector/source/channel.ts'
import { ChannelError, explainFileError, DEFAULT_SYSTEM_PATHS, type SystemPaths } from '../../../collector/source/errors.ts'
import { mapFileReadOnly } from '../../../collector/source/map-file.ts'
import { RelaySim } from '../../../collector/sim/relay-sim.ts'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'krelay-channel-'))
const sims: RelaySim[] = []
after(() => {
  for (const sim of sims) sim.destroy()
  fs.rmSync(tmp, { recursive: true, force: true })
})

/** A fake system: a debugfs root under tmp, a mount table, a /sys/module entry or not. */
function fakeSystem (name: string, opts: { debugfsMounted: boolean, moduleLoaded: boolean }): SystemPaths {
  const root = path.join(tmp, name)
  const debugfsRoot = path.join(root, 'debug')
  fs.mkdirSync(debugfsRoot, { recursive: true })
  const procMounts = path.join(root, 'mounts')
  fs.writeFileSync(procMounts, `sysfs /sys sysfs rw 0 0\n${opts.debugfsMounted ? `debugfs ${debugfsRoot} debugfs rw 0 0\n` : ''}`)
  const sysModule = path.join(root, 'module-krelay')
  if (opts.moduleLoaded) fs.mkdirSync(sysModule)
  const lockdown = path.join(root, 'lockdown')
  fs.writeFileSync(lockdown, 'none [integrity] confidentiality\n')
  return { procMounts, debugfsRoot, sysModule, lockdown }
}

function expectChannelError (fn: () => unknown, code: string, message: RegExp): void {
  assert.throws(fn, (err: Error) => {
    assert.ok(err instanceof ChannelError, String(err))
    assert.equal(err.code, code)
    assert.match(err.message, message)
    return true
  })
}

test('missing directory outside debugfs: says it does not exist', () => {
  const sys = fakeSystem('plain', { debugfsMounted: true, moduleLoaded: true })
  const dir = path.join(tmp, 'nowhere', 'krelay')
  expectChannelError(() => openChannel(dir, sys), 'no-directory', new RegExp(`^${dir} does not exist$`))
})

test('debugfs not mounted: found from the mount table, with the mount command', () => {
  const sys = fakeSystem('nomount', { debugfsMounted: false, moduleLoaded: true })
  expectChannelError(() => openChannel(path.join(sys.debugfsRoot, 'krelay'), sys), 'debugfs-not-mounted',
    /debugfs is not mounted at .*debug.*mount -t debugfs none .*debug$/)
})

test('module not loaded: debugfs is mounted but /sys/module/krelay is missing', () => {
  const sys = fakeSystem('nomodule', { debugfsMounted: true, moduleLoaded: false })
  expectChannelError(() => openChannel(path.join(sys.debugfsRoot, 'krelay'), sys), 'module-not-loaded',
    /the krelay module is not loaded .*insmod krelay\.ko/)
})

test('module loaded but the directory is missing: asks whether it is the right directory', () => {
  const sys = fakeSystem('wrongdir', { debugfsMounted: true, moduleLoaded: true })
  expectChannelError(() => openChannel(path.join(sys.debugfsRoot, 'krelay2'), sys), 'no-directory', /right channel directory/)
})

test('module being unloaded or loaded (initstate going/coming) and no directory: the module is not there yet, not a wrong directory', () => {
  for (const state of ['going', 'coming']) {
    const sys = fakeSystem(`initstate-${state}`, { debugfsMounted: true, moduleLoaded: true })
    fs.writeFileSync(path.join(sys.sysModule, 'initstate'), `${state}\n`)
    expectChannelError(() => openChannel(path.join(sys.debugfsRoot, 'krelay'), sys), 'module-not-loaded',
      new RegExp(`being ${state === 'going' ? 'unloaded' : 'loaded'} .*initstate: ${state}`))
    fs.writeFileSync(path.join(sys.sysModule, 'initstate'), 'live\n')
    expectChannelError(() => openChannel(path.join(sys.debugfsRoot, 'krelay'), sys), 'no-directory', /right channel directory/)
  }
})

test('not root and locked down: the errno is explained with the fix', () => {
  const sys = fakeSystem('errno', { debugfsMounted: true, moduleLoaded: true })
  const eacces = explainFileError('/sys/kernel/debug/krelay/info', 'EACCES', 'cannot read', sys)
  assert.equal(eacces.code, 'not-root')
  assert.match(eacces.message, /permission denied \(EACCES\).*root-only.*run the collector as root/)
  const eperm = explainFileError('/sys/kernel/debug/krelay/cpu0', 'EPERM', 'cannot mmap', sys)
  assert.equal(eperm.code, 'locked-down')
  assert.match(eperm.message, /^cannot mmap .*cpu0: .*EPERM.*the kernel is locked down \(lockdown mode: integrity.*debugfs refuses/)
  assert.equal(explainFileError('x', 'ENODEV', 'cannot mmap', sys).code, 'mmap-refused')
})

test('an mmap refused by the kernel is reported with its errno name', () => {
  const file = path.join(tmp, 'empty-map')
  fs.writeFileSync(file, 'x')
  expectChannelError(() => mapFileReadOnly(file, 0, DEFAULT_SYSTEM_PATHS), 'mmap-refused', /EINVAL/)
  expectChannelError(() => mapFileReadOnly(path.join(tmp, 'absent'), 4096, DEFAULT_SYSTEM_PATHS), 'not-a-channel', /no such file/)
})

test('unknown ABI in info: refused with the message of PROTOCOL.md §2, nothing acknowledged', () => {
  const sim = new RelaySim({ cpus: [0], infoOverrides: { abi_version: '2' } })
  sims.push(sim)
  assert.throws(() => openChannel(sim.dir), {
    name: 'UnsupportedAbiError',
    message: 'krelay ABI version 2 is not supported by this collector (it reads version 1)',
  })
  assert.equal(fs.readFileSync(sim.controlPath, 'latin1'), '')
})

test('a directory without info is not a channel', () => {
  const dir = path.join(tmp, 'not-a-channel')
  fs.mkdirSync(dir)
  expectChannelError(() => openChannel(dir), 'not-a-channel', /info: no such file/)
})

test('a channel opens: info read, cpu files checked', () => {
  const sim = new RelaySim({ cpus: [0, 2] })
  sims.push(sim)
  const channel = openChannel(sim.dir)
  assert.deepEqual(channel.info.cpus, [0, 2])
  assert.equal(channel.mapCpu(2).length, sim.subbufSize * sim.nSubbufs)
  fs.rmSync(sim.cpuPath(2))
  expectChannelError(() => openChannel(sim.dir), 'not-a-channel', /info lists cpu 2 but .*cpu2 does not exist/)
})
