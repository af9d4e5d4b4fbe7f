// The soak (npm run test:soak, in the guest): `krelay collect` as a user runs it, against
// the real module with its default buffers, while the generator writes at a steady rate
// on every CPU and the scheduler source adds exec and fork records, for
// KRELAY_SOAK_MINUTES (10). Every 10 s it samples the collector's RSS and open fds
// (/proc/<pid>/status, /proc/<pid>/fd), the spool's segments, and its timers and handles
// (the collector's <spool>/status.json, formats/STATUS.md). The figures must stay flat
// (flat.ts says exactly what that means), nothing may be lost (kernel drops, loss rows),
// and at the end the archive holds every record exactly once. The table is printed.
// Env: KRELAY_SOAK_MINUTES (10), KRELAY_SOAK_RATE (500 generator records/s per CPU: a rate the
// emulated guest's archive sustains with room to spare, so that the soak measures the
// collector's resources rather than how far TCG falls behind; at 1000/s per CPU on a loaded
// host its DuckDB publishes fell behind and the spool grew through the whole of a 1-minute run).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { CollectorStatus } from '../../../collector/collect/status-file.ts'
import { SEGMENT_SUFFIX } from '../../../collector/spool/segment.ts'
import { startCollectorReading, type CollectorProcess } from '../../../cli/demo/collector-process.ts'
import { genRecordsByCpu } from '../../../cli/demo/gen-counts.ts'
import { freshDir, readArchive, stats, stopCollector, waitConsumed } from '../guest/demo-lib.ts'
import { control, info, load, unload, waitGeneratorIdle } from '../guest/kmod.ts'
import { judgeFlat, soakTable, type SoakSample } from './flat.ts'

const MINUTES = Number(process.env.KRELAY_SOAK_MINUTES ?? '10')
const RATE = Number(process.env.KRELAY_SOAK_RATE ?? '500')
/** every 10 s; a short soak (KRELAY_SOAK_MINUTES=1 while working on it) samples down to every 2 s, to have thirds to compare */
const SAMPLE_MS = Math.min(10_000, Math.max(2000, Math.round(MINUTES * 60_000 / 60)))
const SEGMENT_MIB = 1
const FILE_AGE_S = 10
/**
 * The open segment and the closed ones whose records wait for their Parquet file: the file
 * age, and a publish (DuckDB's COPY at nice 19, on an emulated CPU) that takes tens of
 * seconds here: at the default rate about 80 KB/s, so 8 segments hold about 100 s.
 */
const SPOOL_BOUND = 8 * SEGMENT_MIB * 1024 * 1024
const SPOOL_STEP = 2 * SEGMENT_MIB * 1024 * 1024

test.after(() => unload())

function procStatus (pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
  assert.ok(m, `no ${field} in /proc/${pid}/status`)
  return Number(m[1]) * 1024
}

function segments (spool: string): number[] {
  return fs.readdirSync(spool).filter(n => n.endsWith(SEGMENT_SUFFIX)).map(n => {
    try {
      return fs.statSync(path.join(spool, n)).size
    } catch {
      return 0 // deleted between the listing and the stat: archived
    }
  })
}

function sample (c: CollectorProcess, spool: string, t: number): SoakSample {
  const status = JSON.parse(fs.readFileSync(path.join(spool, 'status.json'), 'utf8')) as CollectorStatus
  assert.equal(status.pid, c.pid, 'status.json is the running collector\'s')
  assert.equal(status.state, 'running')
  const ageMs = Date.now() - Date.parse(status.updated_at)
  assert.ok(ageMs < 5000, `status.json is ${ageMs} ms old: the collector stopped rewriting it`)
  const sizes = segments(spool)
  return {
    t,
    rssBytes: procStatus(c.pid, 'VmRSS'),
    fds: fs.readdirSync(`/proc/${c.pid}/fd`).length,
    timers: status.timers,
    handles: status.handles,
    spoolBytes: sizes.reduce((a, b) => a + b, 0),
    segments: sizes.length,
    spooled: status.cpus.reduce((n, cpu) => n + cpu.records, 0),
    archived: status.archive?.records ?? 0,
  }
}

test(`soak: krelay collect for ${MINUTES} min at ${RATE} records/s per CPU plus the scheduler source: RSS, fds, timers and spool flat, nothing lost, every record once`, async () => {
  assert.ok(MINUTES > 0 && RATE > 0, 'KRELAY_SOAK_MINUTES and KRELAY_SOAK_RATE must be positive')
  const perCpu = Math.round(RATE * MINUTES * 60)
  const dir = freshDir('krelay-soak')
  const out = path.join(dir, 'archive')
  const spool = path.join(dir, 'spool')
  unload()
  const channel = load()
  const cpus = [...channel.info.cpus]
  const c = await startCollectorReading(['--out', out, '--spool', spool, '--host', 'krelay-soak', '--live-socket', path.join(dir, 'live.sock'),
    '--segment-size', String(SEGMENT_MIB), '--file-age', String(FILE_AGE_S)], spool, { log: line => process.stdout.write(`    soak: ${line}\n`) })
  try {
    assert.equal(control('source sched on'), 'ok')
    assert.equal(control(`gen ${perCpu} ${RATE}`), 'ok')
    const t0 = Date.now()
    const samples: SoakSample[] = []
    process.stdout.write(`    soak: ${cpus.length} CPUs x ${perCpu} records at ${RATE}/s, sampling every ${SAMPLE_MS / 1000} s\n`)
    for (let next = SAMPLE_MS; ; next += SAMPLE_MS) {
      await sleep(Math.max(0, t0 + next - Date.now()))
      if (info().get('generator') !== 'running') break
      assert.ok(c.running, `krelay collect exited during the soak:\n${c.output()}`)
      samples.push(sample(c, spool, Math.round((Date.now() - t0) / 1000)))
    }
    await waitGeneratorIdle(120_000)
    assert.equal(control('source sched off'), 'ok')
    await waitConsumed()
    const verdict = judgeFlat(samples, SPOOL_BOUND, SPOOL_STEP)
    process.stdout.write(`    soak: ${samples.length} samples over ${((Date.now() - t0) / 1000).toFixed(0)} s (warm-up, first, middle, last: ${verdict.parts.join(', ')})\n`)
    process.stdout.write(`${soakTable(samples, verdict.parts).replace(/^/gm, '    ')}\n`)
    const summary = await stopCollector(c)
    process.stdout.write(`    soak: ${summary}\n`)

    const kernel = stats()
    assert.ok(kernel.every(s => s.dropped === 0 && s.tooBig === 0), `the kernel dropped records: ${JSON.stringify(kernel)}`)
    const a = await readArchive(out)
    assert.deepEqual(a.losses, [], 'no loss rows')
    assert.match(summary, / 0 records lost in 0 loss rows/)
    assert.equal(a.duplicates, 0, 'no (channel, cpu, seq) twice')
    // every record the kernel wrote, once: each CPU's sequence (generator and scheduler
    // records share it) from 1 to what the kernel wrote, without a gap
    for (const s of kernel) {
      const p = a.perCpu.find(x => x.cpu === s.cpu)
      assert.ok(p, `no records of cpu ${s.cpu}`)
      assert.deepEqual([p.minSeq, p.maxSeq, p.distinctSeqs, p.records], [1, s.written, s.written, s.written], `cpu ${s.cpu}`)
    }
    assert.equal(a.records, kernel.reduce((n, s) => n + s.written, 0))
    const gen = await genRecordsByCpu(out)
    for (const cpu of cpus) assert.equal(gen.get(cpu), perCpu, `generator records of cpu ${cpu}`)
    assert.deepEqual(verdict.problems, [], 'flat')
  } finally {
    if (c.running) await c.stop('SIGKILL')
  }
})
