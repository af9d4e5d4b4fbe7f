// collector/source/mmap-io.ts: the binding loaded by its path, without node-pre-gyp's
// ~100 files, and a mapping through it that reads what the file holds.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { mmap } from '../../../collector/source/mmap-io.ts'

test('maps a file through the binding itself; node-pre-gyp is never loaded', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'krelay-mmap-')), 'data')
  fs.writeFileSync(file, Buffer.alloc(mmap.PAGESIZE, 0x5a))
  const fd = fs.openSync(file, 'r')
  try {
    const view = mmap.map(mmap.PAGESIZE, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
    assert.equal(view[mmap.PAGESIZE - 1], 0x5a)
  } finally {
    fs.closeSync(fd)
    fs.rmSync(path.dirname(file), { recursive: true })
  }
  // in a process of its own: this one's module cache holds whatever other tests loaded
  const loaded = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `
    await import(${JSON.stringify(new URL('../../../collector/source/mmap-io.ts', import.meta.url).href)})
    const { createRequire } = await import('node:module')
    console.log(Object.keys(createRequire(import.meta.url).cache).filter(k => k.includes('node-pre-gyp')).length)`], { encoding: 'utf8' })
  assert.equal(loaded.trim(), '0')
})
