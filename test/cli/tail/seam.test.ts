import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Seam } from '../../../cli/tail/seam.ts'

const A = 'aaaaaaaaaaaaaaaa'
const B = 'bbbbbbbbbbbbbbbb'
const h = (channelId: string, cpu: number, seq: number, mono: bigint) => ({ channelId, cpu, seq, mono })

test('the seam: per (channel, cpu) the first live seq splits history from live; the first live key cuts the rest', () => {
  const seam = new Seam()
  assert.equal(seam.inLive(h(A, 0, 5, 100n)), false, 'nothing live yet: all history')
  seam.noteLive(A, 1, 40, 1000n)
  seam.noteLive(A, 0, 17, 1001n)
  seam.noteLive(A, 0, 18, 1002n)
  assert.equal(seam.inLive(h(A, 0, 16, 900n)), false)
  assert.equal(seam.inLive(h(A, 0, 17, 1001n)), true)
  assert.equal(seam.inLive(h(A, 1, 39, 999n)), false)
  assert.equal(seam.inLive(h(A, 1, 40, 1000n)), true)
  assert.equal(seam.inLive(h(B, 0, 17, 500n)), false, 'another channel: its own seqs')
  // cpu 2 has no live record yet: what sorts after the first live key (1000, cpu 1, 40) is live
  assert.equal(seam.inLive(h(A, 2, 9, 999n)), false)
  assert.equal(seam.inLive(h(A, 2, 9, 1000n)), true)
  assert.equal(seam.inLive(h(A, 0, 9, 1000n)), false, 'same ts, lower cpu: before the key')
})

test('the seam: live records history printed are dropped, per channel and cpu', () => {
  const seam = new Seam()
  seam.printed([h(A, 2, 9, 10n), h(A, 2, 11, 12n), h(A, 0, 3, 11n)])
  assert.equal(seam.printedBefore(A, 2, 11), true)
  assert.equal(seam.printedBefore(A, 2, 12), false)
  assert.equal(seam.printedBefore(A, 0, 3), true)
  assert.equal(seam.printedBefore(A, 1, 1), false)
  assert.equal(seam.printedBefore(B, 2, 5), false)
})

test('the seam: the last record released before the tail joined cuts the history exactly, before any live record', () => {
  const seam = new Seam()
  // cpu 0 spooled ahead of cpu 2: its records after (1000, cpu 1, 40) were not released yet
  seam.noteReleased(A, 1, 40, 1000n)
  assert.equal(seam.inLive(h(A, 1, 40, 1000n)), false, 'the released record itself: history')
  assert.equal(seam.inLive(h(A, 0, 17, 1000n)), false, 'same ts, lower cpu: released')
  assert.equal(seam.inLive(h(A, 2, 9, 1000n)), true, 'same ts, higher cpu: comes live')
  assert.equal(seam.inLive(h(A, 0, 18, 1001n)), true, 'later: comes live, in order with the other CPUs')
  assert.equal(seam.inLive(h(A, 2, 8, 999n)), false)
  assert.equal(seam.inLive(h(B, 0, 50, 5000n)), false, 'another channel: not cut by it')
})
