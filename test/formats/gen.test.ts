import { test } from 'node:test'
import assert from 'node:assert/strict'
import { dataView } from '../../formats/bytes.ts'
import { GEN_FILL_MOD, KIND_BINARY, KIND_TEXT, TYPE_GEN, TYPE_TEXT } from '../../formats/wire.ts'
import { createGenIdentity, genKind, genLevel, genPayloadLength, isGenRecord, readGenIdentity, writeGenPayload } from '../../formats/gen.ts'
import { createRecordView, readRecord, recordText, writeRecordHeader } from '../../formats/record.ts'

function genRecord (run: number, cpu: number, index: number): { buf: Buffer, rec: ReturnType<typeof createRecordView> } {
  const buf = Buffer.alloc(256)
  const payloadLen = genPayloadLength(run, cpu, index)
  const len = writeRecordHeader(buf, 0, { type: TYPE_GEN, kind: genKind(index), level: genLevel(index), seq: index + 1, tsHi: 0, tsLo: 1, pid: 1, ctx: 0, comm: 'g' }, payloadLen)
  assert.equal(writeGenPayload(buf, 48, run, cpu, index), payloadLen)
  const rec = createRecordView()
  assert.equal(readRecord(dataView(buf), 0, len, rec), 0)
  return { buf, rec }
}

test('generator content follows §7: binary even, text odd, level index % 8, fill bytes', () => {
  const even = genRecord(3, 2, 130)
  assert.equal(even.rec.kind, KIND_BINARY)
  assert.equal(even.rec.level, 130 % 8)
  assert.equal(even.rec.payloadLen, 16 + (130 % GEN_FILL_MOD))
  assert.equal(even.buf.readBigUInt64LE(48), 130n)
  assert.equal(even.buf.readUInt32LE(56), 2)
  assert.equal(even.buf.readUInt32LE(60), 3)
  for (let i = 0; i < 130 % GEN_FILL_MOD; i++) assert.equal(even.buf[64 + i], (130 + i) & 0xff)
  const odd = genRecord(3, 2, 1234567)
  assert.equal(odd.rec.kind, KIND_TEXT)
  assert.equal(recordText(odd.buf, odd.rec), 'gen run=3 cpu=2 index=1234567')
  for (const index of [0, 1, 60, 61, 255, 256, 999999999]) {
    const { buf, rec } = genRecord(1, 0, index)
    assert.ok(isGenRecord(dataView(buf), rec, 1, 0, index), `index ${index}`)
    const id = createGenIdentity()
    assert.ok(readGenIdentity(dataView(buf), rec, id))
    assert.deepEqual(id, { run: 1, cpu: 0, index })
  }
})

test('isGenRecord rejects every deviation', () => {
  const spoil: Array<[string, number, (b: Buffer) => void]> = [
    ['type', 4, (b) => b.writeUInt16LE(TYPE_TEXT, 4)],
    ['kind', 4, (b) => { b[6] = KIND_TEXT }],
    ['level', 4, (b) => { b[7] = 0 }],
    ['fill byte', 4, (b) => { b[48 + 16 + 2]! ^= 1 }],
    ['binary cpu', 4, (b) => b.writeUInt32LE(9, 56)],
    ['binary run', 4, (b) => b.writeUInt32LE(9, 60)],
    ['binary index', 4, (b) => b.writeUInt32LE(6, 48)],
    ['text digit', 5, (b) => { b[48 + 8] = 0x39 }],
    ['text spelling', 5, (b) => { b[48] = 0x47 }],
  ]
  for (const [what, index, change] of spoil) {
    const { buf, rec } = genRecord(1, 0, index)
    change(buf)
    readRecord(dataView(buf), 0, 256, rec)
    assert.ok(!isGenRecord(dataView(buf), rec, 1, 0, index), what)
  }
})
