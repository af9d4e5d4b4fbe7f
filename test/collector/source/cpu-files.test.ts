// The cpu<N> watcher on real files in a temporary directory: initial scan, files that
// appear later, names that are not CPU files, the directory going away, close().
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { watchCpuFiles } from '../../../collector/source/cpu-files.ts'

const dirs: string[] = []
after(() => { for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true }) })

function channelDir (...names: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'krelay-cpu-files-'))
  dirs.push(dir)
  for (const name of names) fs.writeFileSync(path.join(dir, name), '')
  return dir
}

function watched (dir: string) {
  const cpus: Array<[number, string]> = []
  const errors: Error[] = []
  let gone = 0
  const watcher = watchCpuFiles(dir, {
    onCpuFile: (cpu, file) => { cpus.push([cpu, file]) },
    onGone: () => { gone++ },
    onError: (err) => { errors.push(err) },
  })
  return { watcher, cpus, errors, gone: () => gone }
}

async function until (what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!cond()) {
    assert.ok(performance.now() < deadline, `timed out waiting for ${what}`)
    await sleep(5)
  }
}

const fsWatches = (): number => process.getActiveResourcesInfo().filter((r) => r === 'FSEventWrap').length

test('the initial scan reports the cpu<N> files already there, and nothing else', async () => {
  const dir = channelDir('cpu0', 'cpu1', 'cpu12', 'info', 'stats', 'control', 'cpu', 'cpux', 'cpu1.old')
  const w = watched(dir)
  await w.watcher.ready
  assert.deepEqual(w.cpus.sort((a, b) => a[0] - b[0]), [[0, path.join(dir, 'cpu0')], [1, path.join(dir, 'cpu1')], [12, path.join(dir, 'cpu12')]])
  await w.watcher.close()
  assert.deepEqual(w.errors, [])
})

test('a cpu<N> file that appears later is reported once; other names are not', async () => {
  const dir = channelDir('cpu0', 'info')
  const w = watched(dir)
  await w.watcher.ready
  for (const name of ['stats', 'cpu', 'cpu3.tmp', 'cpu3']) fs.writeFileSync(path.join(dir, name), '')
  await until('cpu3', () => w.cpus.length === 2)
  fs.appendFileSync(path.join(dir, 'cpu3'), 'x') // a change is not an appearance
  await sleep(200)
  assert.deepEqual(w.cpus, [[0, path.join(dir, 'cpu0')], [3, path.join(dir, 'cpu3')]])
  assert.equal(w.gone(), 0)
  await w.watcher.close()
})

test('the directory going away is reported; its files going are not', async () => {
  const dir = channelDir('cpu0', 'cpu1', 'info')
  const w = watched(dir)
  await w.watcher.ready
  fs.rmSync(path.join(dir, 'cpu0'))
  await sleep(200)
  assert.equal(w.gone(), 0, 'cpu files go first at rmmod, while info is still there')
  fs.rmSync(dir, { recursive: true })
  await until('the directory gone', () => w.gone() > 0)
  await w.watcher.close()
})

test('close() releases every watch handle and reports nothing after', async () => {
  await sleep(20) // the watches of the tests above, closing
  const before = fsWatches()
  assert.equal(before, 0, 'the tests above released their watches')
  const dir = channelDir('cpu0')
  const w = watched(dir)
  await w.watcher.ready
  assert.ok(fsWatches() > before, 'watching holds handles')
  await w.watcher.close()
  await sleep(20) // handles close on the next turn of the loop
  assert.equal(fsWatches(), before)
  fs.writeFileSync(path.join(dir, 'cpu1'), '')
  fs.rmSync(dir, { recursive: true })
  await sleep(200)
  assert.deepEqual(w.cpus.map(([cpu]) => cpu), [0])
  assert.equal(w.gone(), 0)
})

test('a file that appears while the initial scan runs is reported too', async () => {
  // chokidar reads the directory, then starts watching it: a file created in between
  // would be neither in the scan nor in an event
  let missed = 0
  for (let i = 0; i < 40; i++) {
    const dir = channelDir('cpu0')
    const w = watched(dir)
    await sleep(Math.random() * 3)
    fs.writeFileSync(path.join(dir, 'cpu1'), '')
    await w.watcher.ready
    const deadline = performance.now() + 300
    while (w.cpus.length < 2 && performance.now() < deadline) await sleep(5)
    if (w.cpus.length < 2) missed++
    await w.watcher.close()
  }
  assert.equal(missed, 0)
})

test('writes to the other files (every ack to control) cost the watcher no directory scan', async () => {
  // chokidar read the whole directory after each: about 0.18 ms of CPU per write here
  const dir = channelDir('cpu0', 'cpu1', 'control', 'stats', 'info', 'wait')
  const fd = fs.openSync(path.join(dir, 'control'), 'r+')
  const writes = async (): Promise<number> => {
    const c0 = process.cpuUsage()
    for (let i = 0; i < 2000; i++) {
      fs.writeSync(fd, 'ack 0 1\n')
      if (i % 4 === 0) await sleep(1) // let the events in, as acks between passes do
    }
    await sleep(100)
    const c = process.cpuUsage(c0)
    return (c.user + c.system) / 1000
  }
  try {
    await writes() // warm
    const alone = await writes()
    const w = watched(dir)
    await w.watcher.ready
    await writes()
    const watchedMs = await writes()
    await w.watcher.close()
    assert.deepEqual(w.cpus.map(([cpu]) => cpu).sort(), [0, 1])
    const perWriteUs = (watchedMs - alone) / 2000 * 1000
    assert.ok(perWriteUs < 50, `the watcher cost ${perWriteUs.toFixed(1)} us of CPU per write (${watchedMs.toFixed(0)} ms against ${alone.toFixed(0)} ms without)`)
  } finally {
    fs.closeSync(fd)
  }
})
