import { test } from 'node:test'
import assert from 'node:assert/strict'
import { HostMerge, type MergeItem } from '../../../cli/tail/host-merge.ts'

const item = (ts: number, host: string, cpu = 0, seq = ts): MergeItem => ({ ts: BigInt(ts), host, cpu, seq, line: `${host}@${ts}` })
const lines = (items: MergeItem[]): string[] => items.map(i => i.line)

test('rows wait until every host has published past them, then come out by (ts, host, cpu, seq)', () => {
  const m = new HostMerge(10_000)
  m.addFile('b', [item(1, 'b'), item(5, 'b')], 5n, 0)
  assert.deepEqual(lines(m.release(0)), ['b@1', 'b@5'], 'one host: at once')
  m.addFile('a', [item(3, 'a'), item(9, 'a')], 9n, 1)
  m.addFile('b', [item(7, 'b'), item(9, 'b'), item(12, 'b')], 12n, 2)
  assert.deepEqual(lines(m.release(3)), ['a@3', 'b@7', 'a@9', 'b@9'], 'up to a\'s watermark; ties by host')
  assert.equal(m.held, 1)
  m.addFile('a', [item(11, 'a')], 20n, 4)
  assert.deepEqual(lines(m.release(5)), ['a@11', 'b@12'])
})

test('a host that published nothing for the wait holds the others back no longer', () => {
  const m = new HostMerge(1000)
  m.addFile('a', [], 10n, 0)
  m.addFile('b', [item(20, 'b'), item(30, 'b')], 30n, 500)
  assert.deepEqual(lines(m.release(900)), [])
  assert.equal(m.bound(1000), 30n)
  assert.deepEqual(lines(m.release(1000)), ['b@20', 'b@30'])
  // and when every host is idle, nothing is held
  m.addFile('b', [item(40, 'b')], 35n, 0)
  assert.equal(m.bound(5000), null)
  assert.deepEqual(lines(m.release(5000)), ['b@40'])
})
