import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { waitModuleGone } from '../../../collector/collect/module-gone.ts'
import { tempDir } from '../../temp-dir.ts'

function sysModule (state: string | null): string {
  const dir = path.join(tempDir('krelay-module-gone-'), 'krelay')
  if (state !== null) {
    fs.mkdirSync(dir)
    fs.writeFileSync(path.join(dir, 'initstate'), state + '\n')
  }
  return dir
}

test('a module that is gone, or loaded again, is not waited for', async () => {
  assert.equal(await waitModuleGone(sysModule(null), 1000), true)
  assert.equal(await waitModuleGone(sysModule('coming'), 1000), true)
  assert.equal(await waitModuleGone(sysModule('live'), 1000), true)
})

test('a going module is waited for until its directory goes', async () => {
  const dir = sysModule('going')
  const t0 = performance.now()
  setTimeout(() => fs.rmSync(dir, { recursive: true }), 150)
  assert.equal(await waitModuleGone(dir, 5000, undefined, 10), true)
  assert.ok(performance.now() - t0 >= 140, 'it waited for the removal')
})

test('a module going for longer than the timeout, or a stop, ends the wait with false', async () => {
  const dir = sysModule('going')
  const t0 = performance.now()
  assert.equal(await waitModuleGone(dir, 100, undefined, 10), false)
  assert.ok(performance.now() - t0 >= 100)
  const stop = new AbortController()
  setTimeout(() => stop.abort(), 50)
  assert.equal(await waitModuleGone(dir, 60_000, stop.signal, 10), false)
})
