import { test } from 'node:test'
import assert from 'node:assert/strict'
import { codeOf, lossRowOf, typeCode, WireRecord, type RecordTuple } from '../../../cli/tail/archive-row.ts'
import { recordJson } from '../../../cli/tail/json.ts'
import { CTX_NAMES, LEVEL_NAMES } from '../../../formats/wire.ts'
import { typeName } from '../../../formats/archive-schema.ts'

test('type, level and ctx names back to their wire values, unnamed ones included', () => {
  for (const t of [0, 0xff01, 0xff10, 0xff11, 0x0102, 0xffff]) assert.equal(typeCode(typeName(t)), t)
  assert.equal(codeOf(LEVEL_NAMES, 'warning'), 4)
  assert.equal(codeOf(LEVEL_NAMES, '9'), 9)
  assert.equal(codeOf(CTX_NAMES, 'hardirq'), 2)
})

test('a records row becomes the wire record whose JSON line is that row again', () => {
  const w = new WireRecord()
  const offset = 1_764_000_000_000_000_000n
  const text: RecordTuple = [offset + 5_000_000_123n, 5_000_000_123n, 3, 42n, 'err', 'text', 'softirq', -1, 'kworker/3:1', 'disk on fire\n', null, '9f3c2a71d04b5e86']
  w.write(text)
  const ch = { channelId: '9f3c2a71d04b5e86', monoToRealtimeNs: offset }
  assert.deepEqual(JSON.parse(recordJson(w.view, 0, 3, ch)), {
    ts: '2025-11-24T16:00:05.000000123Z', mono_ns: '5000000123', cpu: 3, seq: 42, level: 'err', type: 'text', ctx: 'softirq', pid: -1, comm: 'kworker/3:1', msg: 'disk on fire\n', data: null, channel_id: '9f3c2a71d04b5e86',
  })
  // a payload larger than the buffer so far
  const data = new Uint8Array(10_000).map((_, i) => i & 255)
  w.write([offset + 7n, 7n, 0, 1n, 'info', 'gen', 'task', 1, 'krelay_gen/0', null, data, '9f3c2a71d04b5e86'])
  const line = JSON.parse(recordJson(w.view, 0, 0, ch)) as Record<string, unknown>
  assert.equal(line.type, 'gen')
  assert.equal(line.msg, null)
  assert.deepEqual(Buffer.from(line.data as string, 'base64'), Buffer.from(data))
})

test('a losses row at its channel\'s offset', () => {
  const loss = lossRowOf([1000n + (5n << 32n), 1000n + (6n << 32n), 2, 10n, 4n, 'dropped', 'x'], 1000n)
  assert.deepEqual(loss, { cpu: 2, firstSeq: 10, count: 4, fromHi: 5, fromLo: 0, toHi: 6, toLo: 0, reason: 'dropped' })
})
