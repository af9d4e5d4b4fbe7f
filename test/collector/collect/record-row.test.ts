import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RecordRowFiller } from '../../../collector/collect/record-row.ts'
import { dataView } from '../../../formats/bytes.ts'
import { writeRecord, type RecordFields } from '../../../formats/record.ts'
import { CTX_SOFTIRQ, KIND_BINARY, KIND_TEXT, TYPE_SCHED_EXEC } from '../../../formats/wire.ts'

function fields (over: Partial<RecordFields> = {}): RecordFields {
  return { type: TYPE_SCHED_EXEC, kind: KIND_TEXT, level: 5, seq: 2 ** 40 + 7, tsHi: 0x300000, tsLo: 0xfffffff0, pid: 4242, ctx: CTX_SOFTIRQ, comm: 'kworker/1:0', ...over }
}

test('a text record: every field, the message without its padding', () => {
  const buf = Buffer.alloc(256, 0xee)
  writeRecord(buf, 16, fields(), Buffer.from('exec filename=/bin/true'))
  const row = new RecordRowFiller().fill(dataView(buf), 16, 3)
  assert.deepEqual({ ...row }, {
    tsHi: 0x300000,
    tsLo: 0xfffffff0,
    cpu: 3,
    seq: 2 ** 40 + 7,
    level: 5,
    type: TYPE_SCHED_EXEC,
    kind: KIND_TEXT,
    ctx: CTX_SOFTIRQ,
    pid: 4242,
    comm: 'kworker/1:0',
    msg: 'exec filename=/bin/true',
    data: null,
  })
})

test('a binary record: its payload as a view of the chunk, no message; pid as signed', () => {
  const buf = Buffer.alloc(256)
  writeRecord(buf, 0, fields({ kind: KIND_BINARY, pid: 0xffffffff, comm: 'abcdefghijklmnopq' }), Buffer.from([1, 2, 3, 4, 5]))
  const row = new RecordRowFiller().fill(dataView(buf), 0, 0)
  assert.equal(row.msg, null)
  assert.deepEqual([...row.data!], [1, 2, 3, 4, 5])
  assert.equal(row.data!.buffer, buf.buffer, 'a view, not a copy')
  assert.equal(row.pid, -1)
  assert.equal(row.comm, 'abcdefghijklmnop', 'comm cut at 16 bytes')
})

test('comm strings are reused per CPU while the bytes stay the same', () => {
  const buf = Buffer.alloc(512)
  let off = 0
  const offs: number[] = []
  for (const comm of ['bash', 'bash', 'sshd']) {
    offs.push(off)
    off += writeRecord(buf, off, fields({ comm }), Buffer.from('m'))
  }
  const view = dataView(buf)
  const filler = new RecordRowFiller()
  assert.equal(filler.fill(view, offs[0]!, 0).comm, 'bash')
  assert.equal(filler.fill(view, offs[1]!, 0).comm, 'bash')
  assert.equal(filler.fill(view, offs[2]!, 0).comm, 'sshd')
  assert.equal(filler.fill(view, offs[0]!, 1).comm, 'bash', 'another CPU has its own cache')
  assert.equal(filler.fill(view, offs[2]!, 1).comm, 'sshd')
})
