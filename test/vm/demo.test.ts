// npm run test:demo: `krelay demo` end to end on the host, as a user runs it, for both
// kernels with 2 and 4 CPUs and 200,000 records per CPU, each archive then checked with
// DuckDB on the host: exactly N x CPUs records, no duplicate (cpu, seq), every file sorted
// by ts, no losses. Then the same with the collector killed with SIGKILL twice during the
// generator run and restarted (--kill-collector 2), at a rate that makes the run outlast
// two restarts of node + DuckDB in the emulated guest.
// The kernels run at once, each its demos one after the other (qemu's single-threaded TCG
// keeps about one host core busy per VM); each demo's progress is printed when it ends.
// Env: KRELAY_DEMO_RECORDS (200000), KRELAY_VM_KERNELS ("6.1,6.12"), KRELAY_DEMO_CPUS ("2,4"),
// KRELAY_DEMO_KILL_RATE (2500 records/s per CPU), KRELAY_VM_PARALLEL=0 (one kernel after the other).
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { once } from 'node:events'
import { readArchive, recordsByCpu } from '../../offline/read-archive.ts'
import { KRELAY_BIN } from '../../cli/demo/collector-process.ts'
import { kernelNames } from '../../vm/config.ts'

const N = Number(process.env.KRELAY_DEMO_RECORDS ?? '200000')
const KILL_RATE = Number(process.env.KRELAY_DEMO_KILL_RATE ?? '2500')
const kernels = (process.env.KRELAY_VM_KERNELS ?? kernelNames.join(',')).split(/[\s,]+/).filter(Boolean)
const cpuCounts = (process.env.KRELAY_DEMO_CPUS ?? '2,4').split(/[\s,]+/).filter(Boolean).map(Number)

/** stdout of a krelay command that must succeed. */
function krelay (args: string[]): string {
  const r = spawnSync(process.execPath, [KRELAY_BIN, ...args], { encoding: 'utf8' })
  assert.equal(r.status, 0, `krelay ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}

async function demo (kernel: string, cpus: number, extra: string[]): Promise<void> {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'krelay-demo-test-'))
  const out = path.join(parent, 'archive')
  const t0 = Date.now()
  const child = spawn(process.execPath, [KRELAY_BIN, 'demo', '--kernel', kernel, '--cpus', String(cpus), '--records', String(N), '--out', out, ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (b: Buffer) => { stdout += b.toString() })
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString() })
  const [code] = await once(child, 'close') as [number | null]
  const seconds = (Date.now() - t0) / 1000
  // the other kernel's demo runs meanwhile: this one's progress goes out whole
  process.stderr.write(stderr.replace(/^(?=.)/gm, `  [${kernel}, ${cpus} CPUs] `))
  assert.equal(code, 0, `krelay demo failed:\n${stdout}${stderr}`)
  // one summary line on stdout, nothing else (stdout is not a TTY: no live view)
  const lines = stdout.trimEnd().split('\n')
  assert.equal(lines.length, 1, stdout)
  const m = new RegExp(`^krelay demo: ${N * cpus} records archived \\(${cpus} CPUs x ${N}\\), 0 losses, \\d+ files in ${out} ` +
    `\\(${kernel.replace('.', '\\.')}\\.\\S+, \\d+\\.\\d s(?:; collector SIGKILLed at (.+) of a (\\d+\\.\\d) s generator run, restarted each time)?\\)$`).exec(lines[0]!)
  assert.ok(m, lines[0])
  if (extra.includes('--kill-collector')) {
    assert.ok(m[1] !== undefined, `no kills reported: ${lines[0]}`)
    const kills = m[1].split(' and ').map(s => Number.parseFloat(s))
    assert.equal(kills.length, 2)
    for (const at of kills) assert.ok(at < Number(m[2]), `a kill at ${at} s landed after the ${m[2]} s generator run`)
  }

  const a = await readArchive(out)
  assert.equal(a.records, N * cpus)
  const byCpu = recordsByCpu(a)
  assert.deepEqual([...byCpu.keys()].sort((x, y) => x - y), Array.from({ length: cpus }, (_, i) => i))
  for (const [cpu, n] of byCpu) assert.equal(n, N, `cpu ${cpu}`)
  assert.ok(a.perCpu.every(p => p.minSeq === 1 && p.maxSeq === N && p.distinctSeqs === N), JSON.stringify(a.perCpu))
  assert.equal(a.duplicates, 0, 'no duplicate (cpu, seq)')
  assert.equal(a.unsortedRows, 0, 'ts non-decreasing within every file')
  assert.equal(a.unsortedKeyRows, 0, '(ts, cpu, seq) order within every file')
  assert.deepEqual(a.losses, [], 'no loss rows')
  assert.equal(new Set(a.perCpu.map(p => p.channelId)).size, 1)
  // the analyst's tools on the demo's archive, as a user runs them, against read-archive
  const inspect = JSON.parse(krelay(['inspect', out, '--json'])) as { records: number, perCpu: { cpu: number, records: number }[], losses: unknown[] }
  assert.equal(inspect.records, N * cpus)
  assert.deepEqual(inspect.perCpu.map(c => [c.cpu, c.records]), [...byCpu].sort((x, y) => x[0] - y[0]))
  assert.deepEqual(inspect.losses, [])
  const q = JSON.parse(krelay(['query', out, '--json', `SELECT count(*) AS n, count(DISTINCT (channel_id, cpu, seq)) AS keys,
    count(*) FILTER (WHERE ts_ns <> epoch_us(ts) * 1000 + ts_nanos) AS inexact FROM records`])) as { n: number, keys: number, inexact: number }
  assert.deepEqual(q, { n: N * cpus, keys: N * cpus, inexact: 0 })
  // compacted by the demo: one file per dataset and hour, marked so
  const compacted = krelay(['query', out, '--csv', `SELECT count(*) FROM parquet_kv_metadata('${out}/records/**/*.parquet')
    WHERE decode(key) = 'krelay.compacted' AND decode(value) = '1'`]).trim().split('\n').pop()
  assert.equal(Number(compacted), a.recordFiles, 'every records file compacted')
  process.stderr.write(`  ${kernel}, ${cpus} CPUs: ${lines[0]}; test ${seconds.toFixed(1)} s\n`)
  fs.rmSync(parent, { recursive: true, force: true })
}

describe('krelay demo', { concurrency: process.env.KRELAY_VM_PARALLEL === '0' ? 1 : kernels.length }, () => {
  for (const kernel of kernels) {
    describe(`kernel ${kernel}`, { concurrency: 1 }, () => {
      for (const cpus of cpuCounts) {
        test(`krelay demo --kernel ${kernel} --cpus ${cpus} --records ${N}: every record archived once, sorted, no losses`,
          () => demo(kernel, cpus, []))
      }
      for (const cpus of cpuCounts) {
        test(`krelay demo --kernel ${kernel} --cpus ${cpus} --records ${N} --kill-collector 2: still every record once, no losses`,
          () => demo(kernel, cpus, ['--kill-collector', '2', '--rate', String(KILL_RATE)]))
      }
    })
  }
})
