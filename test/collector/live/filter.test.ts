import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LiveFilter } from '../../../collector/live/filter.ts'
import { dataView } from '../../../formats/bytes.ts'
import { writeRecord } from '../../../formats/record.ts'
import type { LiveFilterSpec } from '../../../formats/live-hello.ts'

interface Rec { cpu: number, level: number, type: number, pid: number, comm: string, msg: string, kind?: number }

const RECS: Rec[] = [
  { cpu: 0, level: 3, type: 0, pid: 10, comm: 'bash', msg: 'disk error on sda' },
  { cpu: 1, level: 6, type: 0, pid: 11, comm: 'sshd', msg: 'accepted key' },
  { cpu: 2, level: 4, type: 0, pid: 10, comm: 'bash', msg: 'low memory' },
  { cpu: 3, level: 7, type: 0xff01, pid: 12, comm: 'krelay-gen', msg: 'error in binary', kind: 2 },
  { cpu: 2, level: 0, type: 0xff10, pid: 13, comm: 'a-sixteen-byte-c', msg: 'x', kind: 2 },
]

function encode (): { view: DataView, offs: number[] } {
  const b = Buffer.alloc(4096)
  const offs: number[] = []
  let off = 0
  for (const r of RECS) {
    offs.push(off)
    off += writeRecord(b, off, { type: r.type, kind: r.kind ?? 1, level: r.level, seq: 1, tsHi: 0, tsLo: 1, pid: r.pid, ctx: 0, comm: r.comm }, Buffer.from(r.msg))
  }
  return { view: dataView(b), offs }
}

function selected (spec: LiveFilterSpec): number[] {
  const { view, offs } = encode()
  const f = new LiveFilter(spec)
  return offs.flatMap((off, i) => f.accepts(view, off, RECS[i]!.cpu) ? [i] : [])
}

test('each filter selects exactly what it names', () => {
  assert.deepEqual(selected({}), [0, 1, 2, 3, 4])
  assert.deepEqual(selected({ cpu: [0, 2] }), [0, 2, 4])
  assert.deepEqual(selected({ level: 'warning' }), [0, 2, 4], 'warning and more severe')
  assert.deepEqual(selected({ level: 'emerg' }), [4])
  assert.deepEqual(selected({ type: [0xff01, 0xff10] }), [3, 4])
  assert.deepEqual(selected({ pid: [10] }), [0, 2])
  assert.deepEqual(selected({ comm: ['bash', 'krelay-gen'] }), [0, 2, 3])
  assert.deepEqual(selected({ comm: ['a-sixteen-byte-c'] }), [4], 'a comm of all 16 bytes, no NUL')
  assert.deepEqual(selected({ comm: ['bas'] }), [], 'exact, not a prefix')
})

test('grep: literal and regular expression, on text records only', () => {
  assert.deepEqual(selected({ grep: 'error' }), [0], 'the binary record with "error" in its payload is not a message')
  assert.deepEqual(selected({ grep: 'e' }), [0, 1, 2])
  assert.deepEqual(selected({ grep: '^(low|accepted)' }), [1, 2])
  assert.deepEqual(selected({ grep: 'sd.$' }), [0])
  assert.throws(() => new LiveFilter({ grep: '(' }), SyntaxError)
})

test('combined filters are all applied', () => {
  assert.deepEqual(selected({ cpu: [0, 1, 2], level: 'warning', grep: 'o' }), [0, 2])
  assert.deepEqual(selected({ pid: [10], cpu: [2] }), [2])
  assert.equal(new LiveFilter({ cpu: [1] }).wantsCpu(1), true)
  assert.equal(new LiveFilter({ cpu: [1] }).wantsCpu(0), false)
  assert.equal(new LiveFilter({ level: 'err' }).wantsCpu(5), true, 'losses are filtered by CPU only')
})
