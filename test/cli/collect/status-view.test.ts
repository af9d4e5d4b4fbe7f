import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cpuRates } from '../../../cli/collect/status-view.ts'
import { snapshot } from './snapshots.ts'

test('rates per CPU: the snapshot\'s own figure first, else the difference over the time between two snapshots of one channel', () => {
  const a = snapshot(1, [{ cpu: 0, records: 1000 }, { cpu: 1, records: 500 }])
  const b = snapshot(3, [{ cpu: 0, records: 5000 }, { cpu: 1, records: 700, records_per_second: 42 }, { cpu: 2, records: 10 }])
  assert.deepEqual([...cpuRates(a, b)], [[0, 2000], [1, 42], [2, 5]])
  assert.deepEqual([...cpuRates(undefined, b)], [[0, undefined], [1, 42], [2, undefined]], 'one snapshot: only its own figures')
  const reloaded = snapshot(4, [{ cpu: 0, records: 10 }], { channel_id: 'fedcba9876543210' })
  assert.deepEqual([...cpuRates(b, reloaded)], [[0, undefined]], 'another channel counts from zero: no difference to take')
  assert.deepEqual([...cpuRates(b, snapshot(3, [{ cpu: 0, records: 9000 }]))], [[0, undefined]], 'no time between them')
})
