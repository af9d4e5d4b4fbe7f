// Runs inside the test VM: the spool and the archive on a small tmpfs that fills up while the
// generator writes, and a spool over its --spool-budget. The collector must stop acknowledging
// (so the kernel counts drops, archived as loss rows), say so once, keep running, resume by
// itself when space returns, and leave an archive where records + losses account for every
// sequence number, with no half-written file visible.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { DuckDBInstance } from '@duckdb/node-api'
import { control, load, unload, waitGeneratorIdle } from './kmod.ts'
import { freshDir, lostByCpu, readArchive, recordsByCpu, startCollector, stats, stopCollector, waitConsumed, waitLine } from './demo-lib.ts'
import type { CollectorProcess } from '../../../cli/demo/collector-process.ts'

const N = 30000
const RATE = 3000

test.afterEach(() => unload())

/** Writes `file` until the filesystem refuses (ENOSPC): MiB blocks, then 4 KiB ones. */
function fill (file: string): number {
  const fd = fs.openSync(file, 'w')
  let bytes = 0
  try {
    for (const block of [Buffer.alloc(1 << 20, 1), Buffer.alloc(4096, 1)]) {
      for (;;) {
        try {
          bytes += fs.writeSync(fd, block)
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err
          break
        }
      }
    }
  } finally {
    fs.closeSync(fd)
  }
  return bytes
}

function walk (dir: string): string[] {
  const out: string[] = []
  if (!fs.existsSync(dir)) return out
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) out.push(...walk(p))
    else out.push(p)
  }
  return out
}

/** Every visible `*.parquet` file under `out` opens as Parquet (DuckDB reads its footer and rows). */
async function assertReadable (out: string): Promise<number> {
  const files = walk(out).filter(f => f.endsWith('.parquet') && !path.basename(f).startsWith('.'))
  const db = await DuckDBInstance.create(':memory:')
  const conn = await db.connect()
  try {
    for (const f of files) await conn.run(`SELECT count(*) FROM read_parquet('${f.replaceAll("'", "''")}')`)
  } finally {
    conn.closeSync()
    db.closeSync()
  }
  return files.length
}

function linesMatching (c: CollectorProcess, re: RegExp): string[] {
  return c.lines.filter(l => re.test(l))
}

function escapeRe (text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** Each wait is said once: the lines of `waits` and of `backs` alternate, a wait first. */
function assertSaidOncePerWait (c: CollectorProcess, waits: RegExp, backs: RegExp): void {
  let waiting = false
  for (const l of c.lines) {
    const wait = waits.test(l)
    if (!wait && !backs.test(l)) continue
    assert.equal(wait, !waiting, `${wait ? 'a wait said twice' : 'a resume without a wait'} (${waits}):\n${c.output()}`)
    waiting = wait
  }
}

/** Per CPU: records + losses == N, losses == the kernel's dropped; returns the dropped total. */
async function assertAccounted (out: string): Promise<number> {
  const archive = await readArchive(out)
  const lost = lostByCpu(archive)
  const records = recordsByCpu(archive)
  let dropped = 0
  for (const row of stats()) {
    dropped += row.dropped
    assert.equal(row.written + row.dropped, N, `cpu ${row.cpu}: written + dropped`)
    assert.equal(lost.get(row.cpu) ?? 0, row.dropped, `cpu ${row.cpu}: sum(count) of losses == kernel dropped`)
    assert.equal(lostByCpu(archive, 'dropped').get(row.cpu) ?? 0, row.dropped, `cpu ${row.cpu}: all of reason dropped`)
    assert.equal((records.get(row.cpu) ?? 0) + (lost.get(row.cpu) ?? 0), N, `cpu ${row.cpu}: records + losses`)
  }
  assert.equal(archive.duplicates, 0)
  assert.equal(archive.lossOverlaps, 0)
  return dropped
}

test('a full disk under the spool and the archive: waited out, said once, resumed by itself; records + losses == N per CPU', async () => {
  const mnt = freshDir('krelay-test-diskfull')
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mnt])
  let collector: CollectorProcess | undefined
  try {
    const out = path.join(mnt, 'out')
    const spool = path.join(mnt, 'spool')
    load('subbuf_size=4096', 'n_subbufs=4')
    const c = await startCollector(out, spool, [], 'collect')
    collector = c
    assert.equal(control(`gen ${N} ${RATE}`), 'ok')
    await sleep(1500)
    const fillers = [path.join(mnt, 'filler'), path.join(mnt, 'filler-2')]
    let filled = fill(fillers[0]!)
    const full = await waitLine(c, /disk full: cannot write .*spooling waits/, 30_000)
    assert.match(full, new RegExp(`no space left on device \\(ENOSPC\\) on the filesystem of ${spool}`))
    // what the archive's writes held while the disk filled, and gave back on failing since
    filled += fill(fillers[1]!)
    // while full: no more acknowledgements, so the kernel drops; the collector keeps running
    const before = stats()
    const seen = c.lines.length
    await sleep(3000)
    const during = stats()
    assert.ok(c.running, `krelay collect exited on a full disk:\n${c.output()}`)
    assert.ok(during.some(r => r.dropped > 0), `the kernel dropped nothing while the disk was full: ${JSON.stringify(during)}`)
    // A failing archive write may still give back a page the spool takes: a resume it says,
    // naming the spool's directory or a segment (the archive stages under the spool too).
    const spoolWrote = `${escapeRe(spool)}(/[^/ ]+\\.krcap)? after`
    const spoolBack = new RegExp(`disk space is back: wrote ${spoolWrote}`)
    const resumes = c.lines.slice(seen).filter(l => spoolBack.test(l)).length
    if (resumes === 0) assert.deepEqual(during.map(r => r.consumed), before.map(r => r.consumed), 'nothing is acknowledged while the spool is full')
    assertSaidOncePerWait(c, /disk full: .*spooling waits/, spoolBack)
    assertSaidOncePerWait(c, /disk full: .*archiving waits/, new RegExp(`disk space is back: wrote (?!${spoolWrote})`))
    assert.equal(walk(out).filter(f => f.endsWith('.parquet') && path.basename(f).startsWith('.') === false && fs.statSync(f).size === 0).length, 0,
      'no empty Parquet file is visible')
    await assertReadable(out)

    for (const f of fillers) fs.rmSync(f)
    const back = await waitLine(c, /disk space is back: wrote .*krcap after waiting/, 30_000)
    await waitGeneratorIdle(120_000)
    await waitConsumed()
    await stopCollector(c)
    const dropped = await assertAccounted(out)
    assert.ok(dropped > 0)
    assert.equal(linesMatching(c, /disk full/).length, linesMatching(c, /disk space is back/).length, `each wait ends once:\n${c.output()}`)
    assert.deepEqual(walk(out).filter(f => f.endsWith('.partial')), [], 'no .partial file is left')
    const files = await assertReadable(out)
    process.stdout.write(`    filled ${(filled / 1048576).toFixed(1)} MiB; "${full.replace(/^.*?krelay collect: /, '')}"\n` +
      `    "${back.replace(/^.*?krelay collect: /, '')}"; kernel dropped ${dropped}; ${files} Parquet files readable; ` +
      `${resumes} resumes while the fillers were in place\n`)
  } finally {
    if (collector?.running) await collector.stop('SIGKILL')
    execFileSync('umount', ['-l', mnt])
  }
})

test('SIGTERM while the disk is full ends the collector within seconds, saying so; a restart once there is room accounts for every seq', async () => {
  const mnt = freshDir('krelay-test-diskfull-stop')
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mnt])
  let collector: CollectorProcess | undefined
  try {
    const out = path.join(mnt, 'out')
    const spool = path.join(mnt, 'spool')
    load('subbuf_size=4096', 'n_subbufs=4')
    collector = await startCollector(out, spool, [], 'collect')
    assert.equal(control(`gen ${N} ${RATE}`), 'ok')
    await sleep(1500)
    const filler = path.join(mnt, 'filler')
    fill(filler)
    await waitLine(collector, /disk full: cannot write .*spooling waits/, 30_000)
    const t0 = Date.now()
    const exit = await collector.stop('SIGTERM', 60_000)
    const took = Date.now() - t0
    assert.ok(took < 30_000, `stopping took ${took} ms`)
    assert.notEqual(exit.signal, 'SIGKILL', 'it ended by itself')
    assert.ok(linesMatching(collector, /stopped while the filesystem of .* is full/).length >= 1, collector.output())
    fs.rmSync(filler)
    collector = await startCollector(out, spool, [], 'collect')
    await waitGeneratorIdle(120_000)
    await waitConsumed()
    await stopCollector(collector)
    const dropped = await assertAccounted(out)
    assert.deepEqual(walk(out).filter(f => f.endsWith('.partial')), [], 'no .partial file is left')
    await assertReadable(out)
    process.stdout.write(`    stopped while full in ${took} ms (exit ${exit.code ?? exit.signal}); after a restart: kernel dropped ${dropped}, all accounted\n`)
  } finally {
    if (collector?.running) await collector.stop('SIGKILL')
    execFileSync('umount', ['-l', mnt])
  }
})

test('a spool over --spool-budget: stops acknowledging until the archive caught up; records + losses == N per CPU', async () => {
  const out = freshDir('krelay-test-budget-out')
  const spool = freshDir('krelay-test-budget-spool')
  load('subbuf_size=4096', 'n_subbufs=4')
  // 64 KiB of spool; segments of 16 KiB so that archived ones can go
  const c = await startCollector(out, spool, ['--spool-budget', '0.0625', '--segment-size', '0.015625', '--file-age', '1'], 'collect')
  try {
    assert.equal(control(`gen ${N} ${RATE}`), 'ok')
    await waitLine(c, /over --spool-budget 0\.1 MiB: not acknowledging until the archive catches up/, 60_000)
    await waitLine(c, /the archive caught up after .* acknowledging again/, 60_000)
    await waitGeneratorIdle(120_000)
    await waitConsumed()
    await stopCollector(c)
  } finally {
    if (c.running) await c.stop('SIGKILL')
  }
  const dropped = await assertAccounted(out)
  process.stdout.write(`    budget: held ${linesMatching(c, /over --spool-budget/).length} times, kernel dropped ${dropped}\n`)
})
