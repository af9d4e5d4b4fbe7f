// cli/tail/visible.ts: control characters escaped for the terminal, hex previews and
// thousands separators.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { grouped, hexPreview, jsonVisible, visible } from '../../../cli/tail/visible.ts'
import { CONTROL } from './records.ts'

const ALL = [...Array(0x100).keys()].map((c) => String.fromCharCode(c)).join('')

describe('visible', () => {
  it('escapes C0 but tab, DEL and C1 as \\xNN, and nothing else', () => {
    const out = visible(ALL)
    assert.doesNotMatch(out, CONTROL)
    assert.ok(out.startsWith('\\x00\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08\t\\x0a\\x0b'))
    assert.ok(out.includes(' !"#$%&'))
    assert.ok(out.includes('}~\\x7f\\x80\\x81'))
    assert.ok(out.endsWith('\\x9e\\x9f\u00a0\u00a1' + ALL.slice(0xa2)))
    assert.equal(out.length, ALL.length + 3 * (0x20 - 1 + 0x21))
  })

  it('returns text without control characters unchanged', () => {
    const s = 'disk on fire: \u00e9\u4e2d\u{1f525} \\x1b\ttab'
    assert.equal(visible(s), s)
    assert.equal(visible(''), '')
  })
})

describe('jsonVisible', () => {
  it('escapes DEL and C1 as \\u00NN, which JSON parses back', () => {
    const json = JSON.stringify({ s: ALL })
    const out = jsonVisible(json)
    assert.doesNotMatch(out, CONTROL)
    assert.ok(out.includes('~\\u007f\\u0080'))
    assert.deepEqual(JSON.parse(out), { s: ALL })
  })
})

describe('hexPreview', () => {
  it('shows at most 16 bytes, then an ellipsis', () => {
    assert.equal(hexPreview(Uint8Array.from([0, 1, 0xab, 0xff])), '00 01 ab ff')
    assert.equal(hexPreview(new Uint8Array(16)), '00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00')
    assert.equal(hexPreview(new Uint8Array(17).fill(0x1b)), '1b 1b 1b 1b 1b 1b 1b 1b 1b 1b 1b 1b 1b 1b 1b 1b …')
    assert.equal(hexPreview(new Uint8Array(0)), '')
  })
})

describe('grouped', () => {
  it('groups thousands with commas, en-US style, whatever the locale', () => {
    assert.deepEqual([0, 7, 999, 1000, 48_112, 1_204, 1_000_000, 2 ** 53 - 1].map(grouped),
      ['0', '7', '999', '1,000', '48,112', '1,204', '1,000,000', '9,007,199,254,740,991'])
  })
})
