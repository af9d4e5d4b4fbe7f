import { test } from 'node:test'
import assert from 'node:assert/strict'
import { WindowSort } from '../../../collector/merge/window-sort.ts'
import { seeded as rng } from '../../seeded.ts'

/**
 * Sorts n random keys whose high halves are below hiRange and low halves below loRange
 * (many equal ones when the ranges are small), the payload being each key's position:
 * the result must be the positions ordered by (hi, lo, position), a stable sort.
 */
function check (seed: number, n: number, hiRange: number, loRange: number): void {
  const rand = rng(seed)
  const sort = new WindowSort(16)
  sort.grow(n, 0)
  const keys: Array<[number, number, number]> = []
  let maxHi = 0
  for (let i = 0; i < n; i++) {
    const hi = Math.floor(rand() * hiRange)
    const lo = Math.floor(rand() * loRange)
    sort.keyHi[i] = hi
    sort.keyLo[i] = lo
    sort.cpu[i] = i
    if (hi > maxHi) maxHi = hi
    keys.push([hi, lo, i])
  }
  const got = Array.from(sort.sort(n, maxHi).subarray(0, n))
  const want = keys.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]).map(k => k[2])
  assert.deepEqual(got, want, `seed ${seed}, n ${n}, ranges ${hiRange} ${loRange}`)
}

test('keys within one digit, several digits, the full low half and into the high half sort stably', () => {
  let seed = 1
  for (const n of [1, 2, 3, 50, 1000, 5000]) {
    check(seed++, n, 1, 5) // mostly equal: stability alone decides
    check(seed++, n, 1, 2000) // one 11-bit digit
    check(seed++, n, 1, 1 << 21) // two digits
    check(seed++, n, 1, 1 << 30) // three
    check(seed++, n, 1, 4294967296) // the whole low half
    check(seed++, n, 3, 4294967296) // into the high half
    check(seed++, n, 1 << 21, 4294967296) // ts beyond 2^53 apart
  }
})

test('a digit the same for every key is skipped without changing the order', () => {
  const sort = new WindowSort(8)
  const lo = [0x00500003, 0x00500001, 0x00500003, 0x00500002]
  lo.forEach((v, i) => { sort.keyLo[i] = v; sort.keyHi[i] = 0; sort.cpu[i] = 10 + i })
  assert.deepEqual(Array.from(sort.sort(4, 0).subarray(0, 4)), [11, 13, 10, 12])
})

test('growing keeps what was gathered', () => {
  const sort = new WindowSort(4)
  for (let i = 0; i < 4; i++) { sort.keyHi[i] = 0; sort.keyLo[i] = 4 - i; sort.cpu[i] = i }
  sort.grow(9, 4)
  assert.equal(sort.capacity, 16)
  for (let i = 4; i < 9; i++) { sort.keyHi[i] = 0; sort.keyLo[i] = 100 + i; sort.cpu[i] = i }
  assert.deepEqual(Array.from(sort.sort(9, 0).subarray(0, 9)), [3, 2, 1, 0, 4, 5, 6, 7, 8])
})
