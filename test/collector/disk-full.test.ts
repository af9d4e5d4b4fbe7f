// A full disk is told apart from other write errors, said once per wait, and ended once.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DiskFullWait, StoppedWhileFullError, diskFullCode } from '../../collector/disk-full.ts'

const enospc = (): Error => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })

test('diskFullCode finds ENOSPC or EDQUOT in a code, a cause, or DuckDB\'s message text; nothing else', () => {
  assert.equal(diskFullCode(enospc()), 'ENOSPC')
  assert.equal(diskFullCode(new Error('spool: cannot write x', { cause: Object.assign(new Error('q'), { code: 'EDQUOT' }) })), 'EDQUOT')
  assert.equal(diskFullCode(new Error('IO Error: Could not write file "x": No space left on device')), 'ENOSPC')
  assert.equal(diskFullCode(new Error('Disk quota exceeded')), 'EDQUOT')
  assert.equal(diskFullCode(Object.assign(new Error('denied'), { code: 'EACCES' })), undefined)
  assert.equal(diskFullCode('ENOSPC'), undefined)
  assert.equal(diskFullCode(undefined), undefined)
})

test('DiskFullWait: one line when the wait starts, none per retry, one when it resumed; other errors are rethrown', async () => {
  const lines: string[] = []
  const w = new DiskFullWait(line => lines.push(line), 'X waits', 'Y', undefined, 5)
  w.resumed() // not waiting: says nothing
  assert.deepEqual(lines, [])
  const t0 = performance.now()
  for (let i = 0; i < 3; i++) await w.pause(enospc(), '/spool/0000000001-0123456789abcdef.krcap')
  assert.ok(performance.now() - t0 >= 14, 'it waited between tries')
  assert.deepEqual(lines, ['disk full: cannot write /spool/0000000001-0123456789abcdef.krcap: no space left on device (ENOSPC) on the filesystem of /spool; X waits; retrying every 0 s until there is room'])
  w.resumed()
  w.resumed()
  assert.equal(lines.length, 2)
  assert.match(lines[1]!, /^disk space is back: wrote \/spool\/0000000001-0123456789abcdef\.krcap after waiting \d+\.\d s$/)
  const other = Object.assign(new Error('denied'), { code: 'EACCES' })
  await assert.rejects(w.pause(other, '/x'), err => err === other)
  assert.equal(lines.length, 2)
})

test('DiskFullWait: a stop ends the wait at once with StoppedWhileFullError naming the path and what happens to the data', async () => {
  const stop = new AbortController()
  const w = new DiskFullWait(() => {}, 'X waits', 'it stays in the spool', stop.signal, 60_000)
  const waiting = w.pause(enospc(), '/out/a.parquet')
  stop.abort()
  await assert.rejects(waiting, (err: unknown) => err instanceof StoppedWhileFullError &&
    err.message === 'stopped while the filesystem of /out/a.parquet is full: it stays in the spool')
  await assert.rejects(w.pause(enospc(), '/out/a.parquet'), StoppedWhileFullError)
})
