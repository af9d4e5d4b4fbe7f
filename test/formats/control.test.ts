import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CONTROL_MAX, parseControl } from '../../formats/control.ts'

test('well-formed commands parse to their meaning, with one optional trailing newline', () => {
  assert.deepEqual(parseControl('ack 0 0'), { verb: 'ack', cpu: 0, seq: 0n })
  assert.deepEqual(parseControl('ack 4294967295 18446744073709551615\n'), { verb: 'ack', cpu: 4294967295, seq: 18446744073709551615n })
  assert.deepEqual(parseControl('ack 007 010'), { verb: 'ack', cpu: 7, seq: 10n }, 'leading zeros are still decimal')
  assert.deepEqual(parseControl('claim krelay-collect'), { verb: 'claim', name: 'krelay-collect' })
  assert.deepEqual(parseControl(`claim ${'a'.repeat(31)}`), { verb: 'claim', name: 'a'.repeat(31) })
  assert.deepEqual(parseControl('level warning'), { verb: 'level', level: 4 })
  assert.deepEqual(parseControl('level 7\n'), { verb: 'level', level: 7 })
  assert.deepEqual(parseControl('gen 1000000000 10000000'), { verb: 'gen', count: 1e9, rate: 1e7 })
  assert.deepEqual(parseControl('source sched off'), { verb: 'source', source: 'sched', on: false })
  for (const verb of ['flush', 'start', 'stop', 'reset-stats', 'gen-stop', 'release']) {
    assert.deepEqual(parseControl(verb), { verb })
    assert.deepEqual(parseControl(Buffer.from(`${verb}\n`)), { verb }, 'bytes as well as strings')
  }
})

test('malformed and out-of-range writes are refused (the module answers EINVAL whatever its state)', () => {
  const refused: Array<string | Buffer> = [
    '', '\n', 'nonsense', 'ack', 'ack 0', 'ack 0 1 2', 'ack x 1', 'ack 0 -1', 'ack +0 1', 'ack 0x1 1', 'ack 0 1e3',
    'ack 4294967296 0', 'ack 0 18446744073709551616', 'ack  0 0', ' ack 0 0', 'ack 0 0 ', 'ack\t0 0',
    'level 8', 'level loud', 'level', 'level WARNING', 'level 7 7',
    'gen 0 0', 'gen 1000000001 0', 'gen 10 10000001', 'gen 10', 'gen ten 0', 'gen 10 -1',
    'source sched maybe', 'source disk on', 'source sched', 'flush now', 'start\n\n', 'release me',
    'claim', `claim ${'a'.repeat(32)}`, 'claim a/b', 'claim é', 'claim a b',
    'stop\0', 'st\0op', 'x'.repeat(200), `level ${'0'.repeat(CONTROL_MAX - 6)}\n`,
    Buffer.from([0xff, 0x00, 0x41, 0x0a]), Buffer.from('claim caf\xe9', 'latin1'),
  ]
  for (const w of refused) assert.equal(parseControl(w), undefined, JSON.stringify(w.toString()))
})

test('the length limit counts the trailing newline: 127 bytes pass, 128 do not', () => {
  const level = (n: number): string => `level ${'0'.repeat(n - 7)}7`
  assert.equal(level(CONTROL_MAX).length, CONTROL_MAX)
  assert.deepEqual(parseControl(level(CONTROL_MAX)), { verb: 'level', level: 7 })
  assert.deepEqual(parseControl(`${level(CONTROL_MAX - 1)}\n`), { verb: 'level', level: 7 })
  assert.equal(parseControl(`${level(CONTROL_MAX)}\n`), undefined)
})
