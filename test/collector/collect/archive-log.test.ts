// The archive worker's lines for what it archives: a file published (path, rows, bytes),
// and the loss rows per CPU and reason, summed over at most LOSS_LINE_MS.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { LOSS_LINE_MS, LossTally, publishLine } from '../../../collector/collect/archive-log.ts'
import type { LossRow, Published } from '../../../collector/archive/index.ts'

const published = (p: string, dataset: Published['dataset'], rows: number): Published =>
  ({ dataset, path: p, rows, firstTs: '', lastTs: '', maxSeq: [] })

test('a published file: its whole path (out-relative ones resolved), rows and bytes', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'krelay-archive-log-'))
  fs.mkdirSync(path.join(out, 'records'))
  fs.writeFileSync(path.join(out, 'records', 'a.parquet'), Buffer.alloc(1234))
  assert.equal(publishLine(out, published('records/a.parquet', 'records', 99)), `published ${out}/records/a.parquet: 99 rows, 1234 bytes`)
  assert.equal(publishLine(out, published(path.join(out, 'records', 'a.parquet'), 'losses', 2)), `published ${out}/records/a.parquet: 2 loss rows, 1234 bytes`)
  assert.equal(publishLine(out, published('gone.parquet', 'records', 1)), `published ${out}/gone.parquet: 1 row`, 'a file gone already: no size')
  fs.rmSync(out, { recursive: true })
})

test('loss rows: summed per CPU and reason, one line at most every LOSS_LINE_MS, all of it at the end', () => {
  let now = 0
  const t = new LossTally(() => now)
  const row = (cpu: number, reason: LossRow['reason'], count: number): LossRow => ({ cpu, reason, count, firstSeq: 1, fromHi: 0, fromLo: 0, toHi: 0, toLo: 0 })
  assert.equal(t.take(), undefined, 'nothing to say')
  t.add(row(1, 'dropped', 100))
  t.add(row(1, 'dropped', 50))
  t.add(row(0, 'corrupt', 1))
  assert.equal(t.take(), 'loss rows archived: cpu 0 corrupt 1 record (1 row), cpu 1 dropped 150 records (2 rows)')
  t.add(row(1, 'dropped', 7))
  now += LOSS_LINE_MS - 1
  assert.equal(t.take(), undefined, 'too soon')
  now += 1
  assert.equal(t.take(), 'loss rows archived: cpu 1 dropped 7 records (1 row)')
  t.add(row(2, 'reload', 0))
  assert.equal(t.take(true), 'loss rows archived: cpu 2 reload 0 records (1 row)', 'at the end: at once')
})
