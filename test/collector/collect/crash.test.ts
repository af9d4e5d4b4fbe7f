import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { RelaySim } from '../../../collector/sim/relay-sim.ts'
import { readArchive } from '../../../offline/read-archive.ts'
import { collectorReading, pump, segmentNames, serveControl } from './sim-driver.ts'
import { tempDir } from '../../temp-dir.ts'

const CHILD = path.join(import.meta.dirname, 'collect-child.ts')

function start (sim: RelaySim, out: string, mode = ''): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CHILD, sim.dir, out, mode], { stdio: ['ignore', 'pipe', 'inherit'] })
}

test('SIGKILL at random moments, restart on the same spool: every record archived exactly once', async () => {
  const count = 6000
  const sim = new RelaySim({ cpus: [0, 1], subbufSize: 4096, nSubbufs: 64, flushIntervalMs: 5 })
  const out = tempDir('krelay-crash-')
  const spool = path.join(out, '.spool')
  const stopServing = serveControl(sim)
  let child = start(sim, out)
  await collectorReading(spool)
  sim.startGen(count)
  let kills = 0
  let next = 400 + Math.floor(Math.random() * 600)
  for (let left = count, written = 0; left > 0;) {
    left = sim.genStep(16)
    written += 16
    pump(sim)
    sim.timerFlush()
    await sleep(1)
    if (written >= next && kills < 5) {
      await sleep(Math.random() * 40)
      child.kill('SIGKILL')
      await once(child, 'exit')
      kills++
      const before = segmentNames(spool)
      child = start(sim, out)
      await collectorReading(spool, before)
      next = written + 400 + Math.floor(Math.random() * 600)
    }
  }
  sim.flush()
  await sleep(200)
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  stopServing()
  assert.equal(code, 0)
  assert.ok(kills >= 3, `killed ${kills} times`)
  for (const cpu of [0, 1]) assert.equal(sim.cpu(cpu).dropped, 0, 'the buffer rode out every restart')
  const a = await readArchive(out)
  assert.equal(a.records, 2 * count, 'every record archived')
  assert.equal(a.records - a.duplicates, 2 * count, 'none twice')
  assert.deepEqual(a.losses, [])
  sim.destroy()
})

test('SIGKILL while the archive lags far behind capture: the restart archives every spooled record exactly once', async () => {
  const count = 4000
  const sim = new RelaySim({ cpus: [0, 1], subbufSize: 4096, nSubbufs: 8, flushIntervalMs: 5 })
  const out = tempDir('krelay-crash-')
  const spool = path.join(out, '.spool')
  const stopServing = serveControl(sim)
  let child = start(sim, out, 'stuck')
  await collectorReading(spool)
  sim.startGen(count)
  let killed = false
  for (let left = count, written = 0; left > 0;) {
    left = sim.genStep(16)
    written += 16
    pump(sim)
    sim.timerFlush()
    await sleep(1)
    if (!killed && written >= count / 2) {
      await sleep(50)
      // the buffer holds about 700 records per CPU: capture went on without the archive
      assert.ok(segmentNames(spool).filter(n => n.endsWith('.krcap')).length > 4, 'the spool grew')
      // the datasets' zero-row files may be there (ARCHIVE.md, "Layout"), no row
      assert.equal((await readArchive(out)).records, 0, 'nothing archived')
      child.kill('SIGKILL')
      await once(child, 'exit')
      killed = true
      const before = segmentNames(spool)
      child = start(sim, out)
      await collectorReading(spool, before)
    }
  }
  sim.flush()
  await sleep(200)
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  stopServing()
  assert.equal(code, 0)
  for (const cpu of [0, 1]) assert.equal(sim.cpu(cpu).dropped, 0, 'capture kept up while the archive was stuck, and across the restart')
  const a = await readArchive(out)
  assert.equal(a.records, 2 * count, 'every record archived')
  assert.equal(a.records - a.duplicates, 2 * count, 'none twice')
  assert.deepEqual(a.losses, [])
  assert.deepEqual(segmentNames(spool).filter(n => n.endsWith('.krcap')), [], 'the spool emptied')
  sim.destroy()
})
