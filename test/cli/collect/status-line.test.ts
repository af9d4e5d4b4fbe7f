// The status line over known snapshots: its figures, and that it fits any width.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { short, statusLine } from '../../../cli/collect/status-line.ts'
import { snapshot } from './snapshots.ts'

const cur = snapshot(2, [{ cpu: 0, records: 13_345, records_per_second: 12_345 }, { cpu: 1, records: 8600, dropped: 12, records_per_second: 8100 }],
  { merge_lag_ms: 120, archive: { records: 1, losses: 0, lost_records: 0, skipped: 0, files: 57, bytes: 1.2 * 2 ** 30, last_publish_at: null } })

test('the status line: rate per CPU and in all, drops and where, merge lag, spool, archive', () => {
  assert.equal(statusLine(cur, 200), '20.4k rec/s [0:12.3k 1:8.10k] | dropped 12 (cpu 1) | lag 120 ms | spool 3 MiB | archive 1.2 GiB in 57 files')
  // before the archive worker answered: no lag
  const first = snapshot(2, [{ cpu: 0, records: 1001, records_per_second: 1000 }], { merge_lag_ms: null })
  assert.equal(statusLine(first, 200), '1.00k rec/s [0:1.00k] | dropped 0 | spool 3 MiB | archive 0 bytes in 57 files')
  assert.equal(statusLine(snapshot(0, [], { channel_id: null, archive: null }), 200), 'waiting for the module | dropped 0 | lag 0 ms | spool 3 MiB | archive -')
  assert.match(statusLine({ ...cur, state: 'stopped' }, 200), /^stopped \| dropped 12/)
})

test('narrower terminals: the total and the busiest CPU, then shorter words, then cut; never wider than the terminal', () => {
  assert.equal(statusLine(cur, 90), '20.4k/s | dropped 12 (cpu 1) | lag 120 ms | spool 3 MiB | archive 1.2 GiB in 57 files')
  assert.equal(statusLine(cur, 60), '20.4k/s | drop 12 | lag 120 ms | sp 3 MiB | ar 57f')
  assert.equal(statusLine(cur, 30), '20.4k/s drop 12 lag 120 ms sp…')
  const many = snapshot(2, Array.from({ length: 64 }, (_, cpu) => ({ cpu, records: 1000 * cpu, records_per_second: 1000 * cpu })))
  for (const s of [cur, many]) {
    for (let width = 1; width <= 300; width++) {
      const line = statusLine(s, width)
      assert.ok([...line].length <= width, `width ${width}: ${JSON.stringify(line)}`)
      assert.ok(!line.includes('\n'))
    }
  }
  assert.match(statusLine(many, 120), /^2\.02M rec\/s \(max cpu 63 63\.0k\) \| /, '64 CPUs: the total and the busiest')
})

test('short numbers', () => {
  assert.deepEqual([0, 999, 1000, 12_345, 123_456, 1_234_567, 98_765_432, 123_456_789].map(short), ['0', '999', '1.00k', '12.3k', '123k', '1.23M', '98.8M', '123M'])
})
