// u64 values as two u32 halves.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { addToU64, compareU64, isBelowU64, u64FromBigInt, u64ToBigInt, u64ToSafeNumber } from '../../formats/u64.ts'

test('u64 halves: ordering of timestamps beyond 2^53 is exact where numbers are not', () => {
  const a = u64FromBigInt(1n << 53n)
  const b = u64FromBigInt((1n << 53n) + 1n)
  assert.equal(a.hi * 2 ** 32 + a.lo, b.hi * 2 ** 32 + b.lo, 'as numbers they collide')
  assert.equal(compareU64(a.hi, a.lo, b.hi, b.lo), -1)
  assert.equal(compareU64(b.hi, b.lo, a.hi, a.lo), 1)
  assert.equal(compareU64(a.hi, a.lo, a.hi, a.lo), 0)
  assert.ok(isBelowU64(a.hi, a.lo, b.hi, b.lo))
  assert.ok(!isBelowU64(b.hi, b.lo, a.hi, a.lo))
  assert.equal(u64ToSafeNumber(a.hi, a.lo), -1)
  const c = { hi: 0, lo: 0xffffffff }
  addToU64(c, 1)
  assert.deepEqual(c, { hi: 1, lo: 0 })
  addToU64(c, 2 ** 33 + 5)
  assert.equal(u64ToBigInt(c.hi, c.lo), (1n << 32n) + (1n << 33n) + 5n)
})
