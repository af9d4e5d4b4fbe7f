// Runs inside the test VM: formatted records at the edges of a sub-buffer, through the real
// write path (kmod/write.c), with the scheduler source's exec records, whose text carries the
// path given to execve(): with 4 KiB sub-buffers a long path makes a text that fits only an
// empty sub-buffer (so it is formatted again into the next one) or none (too big).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { ChannelReader } from '../../../collector/source/reader.ts'
import { forEachRecord } from '../../../collector/source/records.ts'
import { createRecordView, recordText } from '../../../formats/record.ts'
import { parseStats } from '../../../formats/stats.ts'
import { KIND_TEXT, TYPE_SCHED_EXEC } from '../../../formats/wire.ts'
import { control, DIR, load, readToEnd, unload } from './kmod.ts'

// 4096 - 80 (sub-buffer header) - 48 (record header)
const MAX_PAYLOAD = 3968

test.afterEach(() => unload())

/** A symlink to /bin/true whose absolute path is `length` bytes long. */
function longPath (root: string, length: number): string {
  let dir = root
  // components of at most 200 bytes, leaving 201..255 for the link's own name and its '/'
  while (length - dir.length > 255) dir = path.join(dir, 'd'.repeat(Math.min(200, length - dir.length - 202)))
  fs.mkdirSync(dir, { recursive: true })
  const link = path.join(dir, 't'.repeat(length - dir.length - 1))
  fs.symlinkSync('/bin/true', link)
  assert.equal(link.length, length)
  return link
}

const tooBig = (): number => parseStats(fs.readFileSync(`${DIR}/stats`, 'utf8')).cpus.reduce((n, c) => n + c.tooBig, 0)

test('a text that fits only an empty sub-buffer is written whole; one that fits none is refused and counted', async () => {
  const channel = load('subbuf_size=4096', 'n_subbufs=8')
  const root = fs.mkdtempSync('/tmp/krelay-text-')
  try {
    // 'exec filename=' + path + ' pid=<pid> old_pid=<pid>': about 3920 bytes, while the
    // fork record before it on the same CPU leaves less than that in its sub-buffer
    const fits = longPath(path.join(root, 'a'), 3880)
    const big = longPath(path.join(root, 'b'), MAX_PAYLOAD)
    const texts: string[] = []
    const rec = createRecordView()
    const reader = new ChannelReader(channel, {
      onSubbuf: sub => forEachRecord(sub.view, sub.recordsStart, sub.recordsEnd, rec, r => {
        if (r.kind === KIND_TEXT && r.type === TYPE_SCHED_EXEC) texts.push(recordText(sub.bytes, r))
      }),
    })
    assert.equal(control('source sched on'), 'ok')
    const before = tooBig()
    // on one CPU: sh forks (a fork record), the child execs, twice
    execFileSync('taskset', ['-c', '0', '/bin/sh', '-c', `${fits}; ${fits}; ${big}`])
    assert.equal(control('source sched off'), 'ok')
    assert.equal(control('flush'), 'ok')
    await readToEnd(reader)
    reader.close()
    const written = texts.filter(t => t.startsWith(`exec filename=${fits} `))
    assert.equal(written.length, 2)
    for (const t of written) {
      assert.match(t, /^exec filename=\S+ pid=\d+ old_pid=\d+$/)
      assert.ok(t.length > 3900 && t.length <= MAX_PAYLOAD, `${t.length} bytes`)
    }
    assert.deepEqual(texts.filter(t => t.includes(big)), [])
    assert.equal(tooBig() - before, 1)
  } finally {
    fs.rmSync(root, { recursive: true, force: true })
  }
})
