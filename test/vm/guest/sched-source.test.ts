// Runs inside the test VM: the scheduler tracepoint source carries real kernel activity.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { ChannelReader } from '../../../collector/source/reader.ts'
import { forEachRecord } from '../../../collector/source/records.ts'
import { createRecordView, recordText } from '../../../formats/record.ts'
import { KIND_TEXT, TYPE_SCHED_EXEC, TYPE_SCHED_FORK } from '../../../formats/wire.ts'
import { control, readToEnd, info, load, unload } from './kmod.ts'

test.afterEach(() => unload())

test('exec and fork of real processes become records; switching the source off stops them', async () => {
  const channel = load()
  const texts: Array<{ type: number, text: string, pid: number }> = []
  const rec = createRecordView()
  const reader = new ChannelReader(channel, {
    onSubbuf: sub => forEachRecord(sub.view, sub.recordsStart, sub.recordsEnd, rec, r => {
      if (r.kind === KIND_TEXT) texts.push({ type: r.type, text: recordText(sub.bytes, r), pid: r.pid })
    }),
  })
  assert.equal(control('source sched on'), 'ok')
  assert.equal(info().get('source_sched'), '1')
  const pids = [1, 2, 3].map(() => Number(execFileSync('/bin/sh', ['-c', 'echo $$'], { encoding: 'utf8' })))
  assert.equal(control('flush'), 'ok')
  await readToEnd(reader)
  for (const pid of pids) {
    assert.ok(texts.some(t => t.type === TYPE_SCHED_EXEC && t.text.startsWith('exec filename=/bin/sh ') && t.text.includes(` pid=${pid} `)), `exec of /bin/sh as pid ${pid} recorded`)
    assert.ok(texts.some(t => t.type === TYPE_SCHED_FORK && new RegExp(`^fork parent=${process.pid} child=${pid} child_comm=`).test(t.text)), `fork of pid ${pid} by ${process.pid} recorded`)
  }
  assert.equal(control('source sched off'), 'ok')
  assert.equal(info().get('source_sched'), '0')
  // what was written before the source went off is in the buffers: take it first
  assert.equal(control('flush'), 'ok')
  await readToEnd(reader)
  texts.length = 0
  execFileSync('/bin/true')
  assert.equal(control('flush'), 'ok')
  await readToEnd(reader)
  assert.deepEqual(texts.filter(t => t.type === TYPE_SCHED_EXEC || t.type === TYPE_SCHED_FORK), [])
  reader.close()
})
