import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { CollectorStatus } from '../../../collector/collect/status-file.ts'
import { renderTable } from '../../../cli/status/table.ts'

const status: CollectorStatus = {
  version: 1,
  pid: 4711,
  state: 'running',
  started_at: '2026-11-30T16:00:00.000Z',
  updated_at: '2026-11-30T16:00:10.000Z',
  channel_id: '0123456789abcdef',
  rss_bytes: 1,
  open_fds: 1,
  timers: 0,
  handles: 0,
  resources: { capture: {}, archive: null },
  spool_bytes: 3 * 1024 * 1024,
  spool_oldest_segment: { file: '0000000001-0123456789abcdef.krcap', modified_at: '2026-11-30T16:00:05.000Z', age_seconds: 5 },
  merge_lag_ms: 1200,
  cpus: [{ cpu: 0, subbufs: 2, records: 10, dropped: 1, bytes: 640, records_per_second: 2.5 }],
  archive: null,
  live_subscribers: 2,
}
const now = Date.parse('2026-11-30T16:01:10.000Z')

test('a stale collector: STALE with why, its last figures without rates; a kernel not loaded says why', () => {
  const text = renderTable({
    kernel: { channel_dir: '/k', state: 'absent', error: '/k does not exist: the krelay module is not loaded' },
    collector: { file: '/s/status.json', state: 'stale', why: 'pid 4711 is not running: the collector was killed or crashed', age_seconds: 60, status },
  }, now)
  assert.equal(text, [
    'kernel     not loaded: /k does not exist: the krelay module is not loaded',
    '',
    'collector  STALE: pid 4711 is not running: the collector was killed or crashed; its last figures, of 2026-11-30T16:00:10.000Z, are not live:',
    'cpu  spooled  dropped',
    '0         10        1',
    'merge lag  1200 ms',
    'spool      3.0 MiB, oldest segment 0000000001-0123456789abcdef.krcap (modified 65.0 s ago)',
    'archive    not open yet',
    'live       2 subscribers',
    '',
  ].join('\n'))
})

test('no collector file: one line saying so', () => {
  const text = renderTable({
    kernel: { channel_dir: '/k', state: 'unreadable', error: 'cannot read /k/info: not root' },
    collector: { file: '/s/status.json', state: 'absent', why: 'no /s/status.json: no collector has run with this spool' },
  }, now)
  assert.equal(text, 'kernel     unreadable: cannot read /k/info: not root\n\ncollector  not running: no /s/status.json: no collector has run with this spool\n')
})
