import { test } from 'node:test'
import assert from 'node:assert/strict'
import { walkEntries } from '../../../collector/spool/entries.ts'
import { encodeFrame } from '../../../formats/capture-frame.ts'
import { subbuf } from './fixtures.ts'

function walk (buf: Buffer, version: number): { entries: unknown[], damage: unknown[], end: number } {
  const entries: unknown[] = []
  const damage: unknown[] = []
  const end = walkEntries(buf, version, 4096, {
    entry: (cpu, seq, bytes, off) => entries.push([cpu, seq, bytes.length, off]),
    damage: (from, to, why) => damage.push([from, to, why]),
  })
  return { entries, damage, end }
}

const a = encodeFrame(subbuf(0, 1, 1, 2), 0, 1)
const b = encodeFrame(subbuf(1, 1, 1, 3), 1, 1)
const c = encodeFrame(subbuf(0, 2, 3, 1), 0, 2)

test('version 2: damage in the middle is one span up to the next good frame, and the walk goes on', () => {
  const bad = Buffer.from(b)
  bad[40] = bad[40]! ^ 4
  const r = walk(Buffer.concat([a, bad, c]), 2)
  assert.deepEqual(r.entries, [[0, 1, a.length - 24, 24], [0, 2, c.length - 24, a.length + b.length + 24]])
  assert.deepEqual(r.damage, [[a.length, a.length + b.length, 'CRC mismatch']])
  assert.equal(r.end, a.length + b.length + c.length)
})

test('version 2: an incomplete last frame is a torn tail (not damage); an incomplete frame with a good one after it is damage', () => {
  const torn = walk(Buffer.concat([a, b.subarray(0, 50)]), 2)
  assert.deepEqual(torn.damage, [])
  assert.equal(torn.end, a.length)
  const long = Buffer.from(b)
  long.writeUInt32LE(4000, 8) // a plausible length past the end of the bytes
  const lied = walk(Buffer.concat([a, long, c]), 2)
  assert.deepEqual(lied.damage, [[a.length, a.length + b.length, 'incomplete']])
  assert.equal(lied.entries.length, 2)
  const zeros = walk(Buffer.concat([a, Buffer.alloc(40)]), 2)
  assert.deepEqual(zeros.damage, [[a.length, a.length + 40, 'bad frame magic']])
})

test('version 1: entries by committed; bytes without a sub-buffer header are skipped to the next one; a short tail is torn', () => {
  const s1 = subbuf(0, 1, 1, 2)
  const s2 = subbuf(1, 1, 1, 3)
  const r = walk(Buffer.concat([s1, Buffer.alloc(16, 0xff), s2, s1.subarray(0, 90)]), 1)
  assert.deepEqual(r.entries, [[0, 1, s1.length, 0], [1, 1, s2.length, s1.length + 16]])
  assert.deepEqual(r.damage, [[s1.length, s1.length + 16, 'no sub-buffer header']])
  assert.equal(r.end, s1.length + 16 + s2.length)
})
