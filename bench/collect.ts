// End-to-end benchmark of the collector against a baseline measured in the same run.
//
//   node --import tsx bench/collect.ts [records per CPU] [cpus]     (default 250,000 and 4)
//
// The simulator first fills its buffers with generator records (large enough to hold
// them all, so both variants read the same bytes), then:
//   read      the consumer alone: ChannelReader takes every sub-buffer, walks and
//             validates every record, acknowledges. The floor for any collector.
//   collect   the whole collector: the same reading, plus every sub-buffer appended to
//             the spool, the merge by time, Parquet through DuckDB (zstd, sorted,
//             published with fsync + rename), spool segments deleted once archived.
// Reported: records/s of each, and how much of the reader's speed the collector keeps.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { collect } from '../collector/collect/collect.ts'
import { RelaySim } from '../collector/sim/relay-sim.ts'
import { openChannel } from '../collector/source/channel.ts'
import { ChannelReader } from '../collector/source/reader.ts'
import { forEachRecord } from '../collector/source/records.ts'
import { createRecordView } from '../formats/record.ts'

const PER_CPU = Number(process.argv[2] ?? 250_000)
const CPUS = Number(process.argv[3] ?? 4)
const cpus = [...Array(CPUS).keys()]

function filledSim (): RelaySim {
  const sim = new RelaySim({ cpus, subbufSize: 1 << 20, nSubbufs: Math.ceil(PER_CPU * 96 / (1 << 20)) + 2, staleFill: false })
  sim.runGen(PER_CPU)
  sim.flush()
  for (const cpu of cpus) if (sim.cpu(cpu).dropped > 0) throw new Error('the simulated buffer is too small for the benchmark')
  return sim
}

async function read (): Promise<number> {
  const sim = filledSim()
  const channel = openChannel(sim.dir)
  const rec = createRecordView()
  let records = 0
  const t0 = performance.now()
  const reader = new ChannelReader(channel, {
    acker: sim.acker,
    onSubbuf: sub => forEachRecord(sub.view, sub.recordsStart, sub.recordsEnd, rec, () => { records++ }),
  })
  for (;;) {
    const pass = await reader.pass()
    if (pass.subbufs === 0 && !pass.more) break
  }
  const ms = performance.now() - t0
  sim.destroy()
  if (records !== PER_CPU * CPUS) throw new Error(`read ${records} records`)
  return ms
}

async function collectAll (): Promise<number> {
  const sim = filledSim()
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'krelay-bench-'))
  const spool = path.join(out, '.spool')
  const stop = new AbortController()
  // once reading, stop at once: the collector's shutdown path takes everything there is
  const pump = setInterval(() => {
    sim.pumpControl()
    if (!stop.signal.aborted && fs.existsSync(spool) && fs.readdirSync(spool).some(f => f.endsWith('.krcap'))) stop.abort()
  }, 1)
  const t0 = performance.now()
  const summary = await collect({
    channelDir: sim.dir,
    out,
    spoolDir: spool,
    host: 'bench',
    fsync: 1000,
    segmentBytes: 64 << 20,
    segmentAgeMs: 300_000,
    maxFileBytes: 128 << 20,
    maxAgeSeconds: 60,
    follow: false,
    signal: stop.signal,
    log: () => {},
  })
  const ms = performance.now() - t0
  clearInterval(pump)
  sim.destroy()
  fs.rmSync(out, { recursive: true })
  if (summary.records !== PER_CPU * CPUS) throw new Error(`archived ${summary.records} records`)
  return ms
}

const n = PER_CPU * CPUS
console.log(`collector benchmark: ${CPUS} CPUs x ${PER_CPU} generator records`)
const readMs = await read()
console.log(`read     ${(n / readMs / 1000).toFixed(2)} M records/s  ${readMs.toFixed(0).padStart(6)} ms`)
const collectMs = await collectAll()
console.log(`collect  ${(n / collectMs / 1000).toFixed(2)} M records/s  ${collectMs.toFixed(0).padStart(6)} ms`)
console.log(`collect/read: ${(readMs / collectMs).toFixed(2)} (share of the reader's speed the whole collector keeps)`)
