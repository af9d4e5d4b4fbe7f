// Helpers for the collector's VM tests (test/vm/guest/collector*.test.ts): `krelay collect`
// as a child process against the real module, and the archive read back with DuckDB.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseStats, type CpuStats } from '../../../formats/stats.ts'
import { startCollectorReading, type CollectorProcess, describeExit } from '../../../cli/demo/collector-process.ts'
import { readArchive, type ArchiveContents } from '../../../offline/read-archive.ts'
import { seqCover } from '../../../offline/seq-cover.ts'
import { DIR, info } from './kmod.ts'

export { readArchive, recordsByCpu, lostByCpu, type ArchiveContents } from '../../../offline/read-archive.ts'

/** A fresh, empty directory under the guest's /tmp (a tmpfs). */
export function freshDir (name: string): string {
  const dir = path.join('/tmp', name)
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  return dir
}

export function stats (): CpuStats[] {
  return parseStats(fs.readFileSync(`${DIR}/stats`, 'latin1')).cpus
}

/** Echo of the collector's output, prefixed; set KRELAY_TEST_QUIET=1 to keep it for failures only. */
function echo (tag: string): ((line: string) => void) | undefined {
  return process.env.KRELAY_TEST_QUIET === '1' ? undefined : line => process.stdout.write(`    ${tag} | ${line}\n`)
}

/** Starts `krelay collect --out out --spool spool ...extra` and waits until it reads the channel. */
export async function startCollector (out: string, spool: string, extra: string[] = [], tag = 'collect', timeoutMs?: number): Promise<CollectorProcess> {
  return startCollectorReading(['--out', out, '--spool', spool, '--host', 'krelay-test', ...extra], spool, {
    echo: echo(tag),
    log: line => process.stdout.write(`    ${tag}: ${line}\n`),
    timeoutMs,
  })
}

/** Sends SIGTERM and expects a clean exit with the summary line. */
export async function stopCollector (c: CollectorProcess): Promise<string> {
  const exit = await c.stop('SIGTERM', 300_000)
  assert.equal(exit.code, 0, `krelay collect ${describeExit(exit)}:\n${c.output()}`)
  assert.ok(c.summary, `no summary line:\n${c.output()}`)
  return c.summary!
}

/** Until every complete sub-buffer of every CPU is acknowledged (the collector caught up). */
export async function waitConsumed (timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const rows = stats()
    if (rows.every(r => r.consumed === r.produced)) return
    assert.ok(Date.now() < deadline, `the collector did not catch up: ${rows.map(r => `cpu ${r.cpu} consumed ${r.consumed} of ${r.produced}`).join(', ')}`)
    await sleep(100)
  }
}

export function generatorRunning (): boolean {
  return info().get('generator') === 'running'
}

/** Until a line of the collector's output matches. */
export async function waitLine (c: CollectorProcess, re: RegExp, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const line = c.lines.find(l => re.test(l))
    if (line !== undefined) return line
    assert.ok(c.running, `krelay collect exited before printing ${re}:\n${c.output()}`)
    assert.ok(Date.now() < deadline, `krelay collect did not print ${re} within ${timeoutMs / 1000} s:\n${c.output()}`)
    await sleep(100)
  }
}

export function seconds (ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

export function setCpuOnline (cpu: number, online: boolean): void {
  fs.writeFileSync(`/sys/devices/system/cpu/cpu${cpu}/online`, online ? '1' : '0')
}

/**
 * The archive in `out` accounts for every sequence number channel `channelId` handed
 * over, exactly once, per CPU of `kernel` (its `stats` after the collector stopped): records
 * and loss rows tile 1 .. written + dropped with no gap and no overlap, the losses are
 * all of reason `dropped`, and they sum to the kernel's `dropped`. Returns the archive.
 */
export async function assertExactlyOnce (out: string, channelId: string, kernel: Array<Pick<CpuStats, 'cpu' | 'written' | 'dropped'>>): Promise<ArchiveContents> {
  const archive = await readArchive(out)
  const cover = (await seqCover(out)).filter(c => c.channelId === channelId)
  for (const row of kernel) {
    const last = row.written + row.dropped
    const c = cover.find(x => x.cpu === row.cpu)
    if (last === 0) {
      assert.equal(c, undefined, `cpu ${row.cpu} wrote nothing, yet the archive covers seq ${c?.first}..${c?.last}`)
      continue
    }
    assert.ok(c, `cpu ${row.cpu}: the kernel handed over seq 1..${last}, the archive has none of them`)
    assert.deepEqual({ first: c.first, last: c.last, gaps: c.gaps, overlaps: c.overlaps }, { first: 1, last, gaps: 0, overlaps: 0 },
      `cpu ${row.cpu}: records + losses must tile seq 1..${last} (written ${row.written} + dropped ${row.dropped}) exactly once: ${c.problem ?? ''}`)
    const losses = archive.losses.filter(l => l.channelId === channelId && l.cpu === row.cpu && l.count > 0)
    assert.deepEqual(losses.filter(l => l.reason !== 'dropped'), [], `cpu ${row.cpu}: only the kernel's drops are losses`)
    assert.equal(c.lost, row.dropped, `cpu ${row.cpu}: sum(count) of loss rows == the kernel's dropped`)
    assert.equal(c.records, row.written, `cpu ${row.cpu}: every written record archived`)
  }
  assert.deepEqual(cover.map(c => c.cpu).filter(cpu => !kernel.some(r => r.cpu === cpu)), [], 'no CPU the kernel does not have')
  assert.equal(archive.duplicates, 0)
  assert.equal(archive.lossOverlaps, 0)
  assert.equal(archive.badLossRanges, 0)
  assert.equal(archive.unsortedRows, 0, 'ts non-decreasing within every file')
  assert.equal(archive.unsortedLossRows, 0)
  return archive
}
