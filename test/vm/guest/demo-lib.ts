// Helpers for the collector's VM tests (test/vm/guest/collector*.test.ts): `krelay collect`
// as a child process against the real module, and the archive read back with DuckDB.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseStats, type CpuStats } from '../../../formats/stats.ts'
import { startCollectorReading, type CollectorProcess, describeExit } from '../../../cli/demo/collector-process.ts'
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
export async function startCollector (out: string, spool: string, extra: string[] = [], tag = 'collect'): Promise<CollectorProcess> {
  return startCollectorReading(['--out', out, '--spool', spool, '--host', 'krelay-test', ...extra], spool, {
    echo: echo(tag),
    log: line => process.stdout.write(`    ${tag}: ${line}\n`),
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
