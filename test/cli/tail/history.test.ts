// The history of krelay tail -n / --since (cli/tail/history.ts): losses the collector
// found but has not published yet are in its spool only; the history shows them, once,
// also when the archive holds them too.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { RelaySim } from '../../../collector/sim/relay-sim.ts'
import { readArchive } from '../../../offline/read-archive.ts'
import { createLossRow } from '../../../collector/collect/loss-row.ts'
import { LiveFilter } from '../../../collector/live/filter.ts'
import { historyWindow, type HistoryLoss, type HistoryRecord } from '../../../cli/tail/history.ts'
import { listSegments } from '../../../collector/spool/spool-reader.ts'
import { driveGenerator, serveControl } from '../../collector/collect/sim-driver.ts'
import { jsonLines, run, startCollector, stop } from '../live-run.ts'
import { tempDir } from '../../temp-dir.ts'

type Line = Record<string, unknown>
const dropsOf = (lines: Line[], cpu: number): number =>
  lines.filter(l => l.event === 'loss' && l.reason === 'dropped' && l.cpu === cpu).reduce((n, l) => n + (l.count as number), 0)

async function lastLines (out: string, n: number): Promise<Line[]> {
  const p = run(['tail', '--json', '--out', out, '-n', String(n), '--no-follow'])
  assert.equal(await p.exited, 0, p.stderr())
  return jsonLines(p)
}

test('-n: drops the collector found but has not published (its spool holds them) are shown where they happened, once', async () => {
  const sim = new RelaySim({ cpus: [0, 1], nSubbufs: 2, subbufSize: 4096, flushIntervalMs: 5 })
  const stopServing = serveControl(sim)
  const dir = tempDir('krelay-tail-history-')
  const out = path.join(dir, 'archive')
  // --file-age 3600: nothing is published before the collector stops
  const collector = await startCollector(sim, out, path.join(dir, 'live.sock'), ['--follow', '--file-age', '3600'])
  try {
    collector.child.kill('SIGSTOP')
    await driveGenerator(sim, 2000)
    const dropped = [0, 1].map(cpu => sim.cpu(cpu).dropped)
    assert.ok(dropped.every(n => n > 0), 'the stalled collector made the kernel drop')
    collector.child.kill('SIGCONT')
    await sleep(300)
    await driveGenerator(sim, 5) // records after the gap reveal it
    await sleep(500)
    assert.ok(listSegments(path.join(out, '.spool')).length > 0)
    const spooled = await lastLines(out, 10_000)
    for (const cpu of [0, 1]) assert.equal(dropsOf(spooled, cpu), dropped[cpu], `cpu ${cpu}: the spool's drops`)
    // where they happened: before the first record after the gap on its CPU
    for (const l of spooled.filter(l => l.event === 'loss' && l.reason === 'dropped')) {
      const after = spooled.findIndex(p => p.event === undefined && p.cpu === l.cpu && (p.seq as number) >= (l.first_seq as number) + (l.count as number))
      assert.ok(after < 0 || spooled.indexOf(l) < after, `the loss on cpu ${String(l.cpu)} comes before the record after it`)
    }
    assert.equal(await stop(collector), 0, collector.stderr())
    const archive = await readArchive(out)
    assert.equal(archive.lostRecords, dropped[0]! + dropped[1]!)
    const archived = await lastLines(out, 10_000)
    for (const cpu of [0, 1]) assert.equal(dropsOf(archived, cpu), dropped[cpu], `cpu ${cpu}: the archive's drops`)
    assert.deepEqual(archived.filter(l => l.event === undefined), spooled.filter(l => l.event === undefined), 'the same records from the archive')
  } finally {
    if (collector.child.exitCode === null) await stop(collector)
    stopServing()
    sim.destroy()
  }
})

test('a loss both the archive and the spool hold (published, its segment not yet deleted) is shown once, as the archive has it', () => {
  const ch = { channelId: 'c1', monoToRealtimeNs: 0n }
  const record = (seq: number, mono: bigint): HistoryRecord => ({ channelId: 'c1', cpu: 0, seq, mono, ch, view: new DataView(new ArrayBuffer(8)) })
  const loss = (fromLo: number): HistoryLoss => ({ channelId: 'c1', cpu: 0, seq: 3, mono: 25n, ch, loss: { ...createLossRow(), cpu: 0, firstSeq: 3, count: 4, fromLo, toLo: 25 } })
  const archived = loss(20)
  const spooled = loss(25) // the spool alone does not know the record before the gap
  const items = historyWindow([record(1, 10n), record(2, 20n), record(7, 30n)], [archived, spooled], { lines: 10, filter: new LiveFilter({}) }, () => false)
  assert.deepEqual(items.map(i => i.loss === undefined ? `r${i.seq}` : `l${i.seq}`), ['r1', 'r2', 'l3', 'r7'])
  assert.equal(items[2], archived)
})

test('spoolHistory over a damaged spool: exact records, the damaged span a corrupt loss, a copied segment read once, a bad header skipped', async () => {
  const { spoolHistory } = await import('../../../cli/tail/history.ts')
  const { encodeCaptureHeader } = await import('../../../formats/capture.ts')
  const { encodeFrame } = await import('../../../formats/capture-frame.ts')
  const { meta, subbuf } = await import('../../collector/collect/subbufs.ts')
  const { segmentName } = await import('../../../collector/spool/segment.ts')
  const fs = await import('node:fs')
  const dir = tempDir('krelay-tail-history-damage-')
  const ts = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => (from + i) * 10)
  const damaged = encodeFrame(subbuf(0, 2, 4, ts(4, 3)), 0, 2)
  damaged[100] = damaged[100]! ^ 1
  const first = Buffer.concat([encodeCaptureHeader(meta()), encodeFrame(subbuf(0, 1, 1, ts(1, 3)), 0, 1), damaged, encodeFrame(subbuf(0, 3, 7, ts(7, 2)), 0, 3)])
  const badHeader = Buffer.from(first)
  badHeader[30] = badHeader[30]! ^ 1
  fs.writeFileSync(path.join(dir, segmentName(1, meta().channelId)), first)
  fs.writeFileSync(path.join(dir, segmentName(2, meta().channelId)), first) // a copy
  fs.writeFileSync(path.join(dir, segmentName(3, meta().channelId)), badHeader)
  const h = spoolHistory(dir, { lines: 100, filter: new LiveFilter({}) })
  assert.deepEqual(h.records.map(r => r.seq), [1, 2, 3, 7, 8])
  assert.deepEqual(h.losses.map(l => [l.cpu, l.loss.reason, l.loss.firstSeq, l.loss.count]), [[0, 'corrupt', 4, 3]])
})
