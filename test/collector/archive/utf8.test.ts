// collector/archive/utf8.ts: isUtf8 agrees with what Node's decoder keeps unchanged.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isUtf8 } from '../../../collector/archive/utf8.ts'

const roundTrips = (b: Uint8Array) => Buffer.from(Buffer.from(b).toString('utf8'), 'utf8').equals(b)

describe('isUtf8', () => {
  it('accepts well-formed UTF-8 and refuses the rest, as decoding and encoding again tells', () => {
    const cases = [
      [], [0x41], [0x00], [0xc3, 0xa9], [0xe2, 0x9c, 0x93], [0xf0, 0x9f, 0x98, 0x80], [0xf4, 0x8f, 0xbf, 0xbf], [0xef, 0xbf, 0xbd],
      [0x80], [0xbf], [0xc0, 0x80], [0xc1, 0xbf], [0xc3], [0xe2, 0x82], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf],
      [0xf0, 0x80, 0x80, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xff], [0x61, 0xc3, 0x28], [0xe2, 0x28, 0xa1],
    ]
    for (const c of cases) {
      const b = Uint8Array.from(c)
      assert.equal(isUtf8(b, 0, b.length), roundTrips(b), `[${c.map((x) => x.toString(16)).join(' ')}]`)
    }
    // every 1- and 2-byte sequence, and a sample of 3- and 4-byte ones
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) {
        const two = Uint8Array.of(a, b)
        assert.equal(isUtf8(two, 0, 2), roundTrips(two), `${a} ${b}`)
        const three = Uint8Array.of(a, b, (a * 7 + b) & 0xff)
        assert.equal(isUtf8(three, 0, 3), roundTrips(three), `${a} ${b} ...`)
        const four = Uint8Array.of(a, b, 0x80 | (b & 0x3f), 0x80 | (a & 0x3f))
        assert.equal(isUtf8(four, 0, 4), roundTrips(four), `${a} ${b} ... ...`)
      }
    }
  })

  it('looks only at [start, end)', () => {
    const b = Uint8Array.of(0xff, 0x61, 0xc3, 0xa9, 0xff)
    assert.equal(isUtf8(b, 1, 4), true)
    assert.equal(isUtf8(b, 1, 3), false, 'a sequence cut by end')
    assert.equal(isUtf8(b, 0, 2), false)
  })
})
