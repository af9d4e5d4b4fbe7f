// cli/tail/decode.ts: records read through readRecord, from any view, and refused with
// readRecord's reason when they are not valid.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { commOf, decodeRecord, isText, payloadOf, pidOf, textOf } from '../../../cli/tail/decode.ts'
import { oneRecord, writeRecords } from './records.ts'

describe('decodeRecord', () => {
  it('reads each record of a buffer, and records of another buffer after it', () => {
    const { view, offs } = writeRecords([{ payload: 'first\n', comm: 'a' }, { payload: Uint8Array.from([7, 8]), comm: 'b', pid: 2 ** 32 - 2 }])
    let d = decodeRecord(view, offs[0]!)
    assert.deepEqual([isText(d), textOf(d), commOf(d), pidOf(d)], [true, 'first\n', 'a', 212])
    d = decodeRecord(view, offs[1]!)
    assert.deepEqual([isText(d), [...payloadOf(d)], commOf(d), pidOf(d)], [false, [7, 8], 'b', -2])
    const [other, off] = oneRecord({ payload: 'second', comm: 'c' })
    d = decodeRecord(other, off)
    assert.deepEqual([textOf(d), commOf(d)], ['second', 'c'])
  })

  it('reads a view that starts inside its ArrayBuffer', () => {
    const [inner, off] = oneRecord({ payload: 'inside', comm: 'd' })
    const outer = new Uint8Array(inner.byteLength + 24)
    outer.set(new Uint8Array(inner.buffer, inner.byteOffset, inner.byteLength), 24)
    const d = decodeRecord(new DataView(outer.buffer, 24, inner.byteLength), off)
    assert.deepEqual([textOf(d), commOf(d)], ['inside', 'd'])
  })

  it('refuses an invalid record with readRecord\'s reason', () => {
    const [view, off] = oneRecord({ payload: 'x' })
    view.setUint32(off, 40, true)
    assert.throws(() => decodeRecord(view, off), /record at offset 8: len below 48/)
    view.setUint32(off, 4096, true)
    assert.throws(() => decodeRecord(view, off), /len past committed/)
  })
})
