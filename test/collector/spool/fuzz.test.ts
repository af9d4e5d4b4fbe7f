// The seeded fuzzer of issue 10 ("Bad input"): mutated sub-buffers through the sub-buffer
// decoder, mutated spools through the spool reader, the scan and the feeder (replaySpool),
// and some through `krelay archive --from` read back from Parquet. Never a crash, a hang or
// a halt; never a wrong row; every record of the undamaged capture comes out exactly or is
// in a loss row (fuzz-oracle.ts); each damaged span logged once.
// KRELAY_FUZZ_SEED=<n> replays a run (printed on failure); KRELAY_FUZZ_COUNT=<x> scales the counts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { replaySpool } from '../../../collector/collect/replay.ts'
import { decodeSubbuf } from '../../../collector/source/decode-subbuf.ts'
import { createSeqState, forEachRecord } from '../../../collector/source/records.ts'
import { segmentName } from '../../../collector/spool/segment.ts'
import { readSegment } from '../../../collector/spool/spool-reader.ts'
import { scanSpool } from '../../../collector/spool/spool-scan.ts'
import { runArchive } from '../../../cli/archive.ts'
import { CliFailure } from '../../../cli/errors.ts'
import { CaptureHeaderError } from '../../../formats/capture.ts'
import { dataView } from '../../../formats/bytes.ts'
import { createRecordView } from '../../../formats/record.ts'
import { checkSubbufHeader, createSubbufHeader, HEADER_COMMITTED_TOO_LARGE, HEADER_OK, readSubbufHeader } from '../../../formats/subbuf-header.ts'
import { SUBBUF_HDR, SUBBUF_HDR_SIZE } from '../../../formats/wire.ts'
import { seeded } from '../../seeded.ts'
import { FUZZ_CHANNEL, FUZZ_SUBBUF_SIZE, makeCapture, mutate, MUTATIONS, type FuzzCapture } from './fuzz-gen.ts'
import { addRecord, checkOutput, newOutput, OraclePipeline, type FuzzOutput } from './fuzz-oracle.ts'

const SEED = process.env.KRELAY_FUZZ_SEED !== undefined ? Number(process.env.KRELAY_FUZZ_SEED) : Date.now() % 2 ** 31
const SCALE = Number(process.env.KRELAY_FUZZ_COUNT ?? 1)
const SUBBUF_CASES = Math.round(6000 * SCALE)
const SPOOL_CASES = Math.round(4000 * SCALE)
const CLI_CASES = Math.max(1, Math.round(6 * SCALE))

/** The random source of one case: a failure names the run's seed and the case. */
function caseRand (kind: number, i: number): () => number {
  return seeded(SEED ^ Math.imul(i + 1, 0x9e3779b1) ^ kind)
}

function failed (what: string, i: number, desc: string[], problems: string[]): never {
  assert.fail(`${what} case ${i} (rerun: KRELAY_FUZZ_SEED=${SEED}): ${desc.join('; ')}:\n  ${problems.slice(0, 8).join('\n  ')}`)
}

function tmp (): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'krelay-fuzz-'))
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

/**
 * A segment cut at a frame boundary in the middle of the spool, or a good frame in the place
 * of another (a stale copy), leaves nothing to see but a jump in that CPU's sub-buffer seqs,
 * which reads as a lap (CAPTURE.md): its gap may be a `collector` loss (fuzz-oracle.ts).
 */
const gapReason = (desc: string[]): 'corrupt' | 'collector' => desc.some(d => d.startsWith('cut-middle') || d.startsWith('stale copy')) ? 'collector' : 'corrupt'

function mutated (rand: () => number, seen?: Map<string, number>): { cap: FuzzCapture, desc: string[] } {
  const cap = makeCapture(rand)
  const desc: string[] = []
  const n = 1 + Math.floor(rand() * (rand() < 0.8 ? 1 : 3))
  for (let k = 0; k < n; k++) {
    const m = MUTATIONS[Math.floor(rand() * MUTATIONS.length)]!
    seen?.set(m, (seen.get(m) ?? 0) + 1)
    desc.push(mutate(cap, m, rand))
  }
  return { cap, desc }
}

function writeSegments (dir: string, cap: FuzzCapture): void {
  for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f), { recursive: true })
  cap.segments.forEach((bytes, i) => fs.writeFileSync(path.join(dir, segmentName(i + 1, FUZZ_CHANNEL)), bytes))
}

function readSegmentOrBad (file: string): 'bad' | 'ok' {
  try {
    return readSegment(file) === null ? 'bad' : 'ok'
  } catch (err) {
    if (err instanceof CaptureHeaderError) return 'bad'
    throw err
  }
}

function checkLog (lines: string[], dir: string): string[] {
  const problems: string[] = []
  if (new Set(lines).size !== lines.length) problems.push(`a line logged twice: ${lines.join(' | ')}`)
  for (const l of lines) if (!l.includes(dir)) problems.push(`a line that names no file: ${l}`)
  return problems
}

test(`the sub-buffer decoder: ${SUBBUF_CASES} mutated sub-buffers, never a throw, only valid records handed on`, (t) => {
  t.diagnostic(`KRELAY_FUZZ_SEED=${SEED}`)
  const h = createSubbufHeader()
  const rec = createRecordView()
  for (let i = 0; i < SUBBUF_CASES; i++) {
    const rand = caseRand(1, i)
    const cap = makeCapture(rand)
    const orig = cap.subbufs[Math.floor(rand() * cap.subbufs.length)]!
    let bytes = Buffer.from(orig.bytes)
    const desc: string[] = []
    const kind = Math.floor(rand() * 5)
    if (kind === 0) {
      for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) {
        const at = Math.floor(rand() * bytes.length)
        bytes[at] = bytes[at]! ^ (1 << Math.floor(rand() * 8))
        desc.push(`flip ${at}`)
      }
    } else if (kind === 1) {
      bytes = bytes.subarray(0, SUBBUF_HDR_SIZE + Math.floor(rand() * (bytes.length - SUBBUF_HDR_SIZE + 1)))
      desc.push(`cut to ${bytes.length}`)
    } else if (kind === 2) {
      const field = [SUBBUF_HDR.committed.offset, SUBBUF_HDR.nrecords.offset, SUBBUF_HDR.dropped.offset, SUBBUF_HDR.seq.offset, SUBBUF_HDR.version.offset][Math.floor(rand() * 5)]!
      bytes.writeUInt32LE(Math.floor(rand() * 2 ** 32), field)
      desc.push(`field at ${field}`)
    } else if (kind === 3) {
      // a record's len, seq or ts
      const at = SUBBUF_HDR_SIZE + 8 * Math.floor(rand() * ((bytes.length - SUBBUF_HDR_SIZE) / 8))
      if (at + 4 <= bytes.length) bytes.writeUInt32LE(Math.floor(rand() * 2 ** 32), at)
      desc.push(`word at ${at}`)
    } else {
      for (let at = SUBBUF_HDR_SIZE; at < bytes.length; at++) if (rand() < 0.05) bytes[at] = Math.floor(rand() * 256)
      desc.push('noise in records')
    }
    try {
      readSubbufHeader(dataView(bytes), 0, h)
      let status = checkSubbufHeader(h, orig.cpu, FUZZ_SUBBUF_SIZE)
      if (status === HEADER_OK && bytes.length !== SUBBUF_HDR_SIZE + h.committed) status = HEADER_COMMITTED_TOO_LARGE
      const state = createSeqState()
      if (rand() < 0.5) { state.expectSeq = 1 + Math.floor(rand() * 40); state.exact = rand() < 0.5 }
      const sub = decodeSubbuf(orig.cpu, orig.seq, bytes, h, status, state, rec, h.watermarkHi, h.watermarkLo)
      const problems: string[] = []
      if (sub.recordsEnd > bytes.length || sub.recordsStart > sub.recordsEnd) problems.push(`records ${sub.recordsStart}..${sub.recordsEnd} of ${bytes.length} bytes`)
      let n = 0
      let prev = 0
      forEachRecord(sub.view, sub.recordsStart, sub.recordsEnd, rec, r => {
        if (r.seq <= prev) problems.push(`seq ${r.seq} after ${prev}`)
        prev = r.seq
        n++
      })
      if (n !== sub.records) problems.push(`${n} records walked, ${sub.records} counted`)
      for (const l of sub.losses) if (!(l.count > 0 && Number.isSafeInteger(l.firstSeq + l.count))) problems.push(`loss ${JSON.stringify(l)}`)
      if (!Number.isSafeInteger(state.expectSeq)) problems.push(`expectSeq ${state.expectSeq}`)
      if (problems.length > 0) failed('sub-buffer', i, desc, problems)
    } catch (err) {
      if (err instanceof assert.AssertionError) throw err
      failed('sub-buffer', i, desc, [(err as Error).stack ?? String(err)])
    }
  }
})

test(`the spool reader, scan and feeder: ${SPOOL_CASES} mutated spools, every record exact or in a loss row, damage logged once`, async (t) => {
  t.diagnostic(`KRELAY_FUZZ_SEED=${SEED}`)
  const dir = tmp()
  const seen = new Map<string, number>()
  for (let i = 0; i < SPOOL_CASES; i++) {
    const rand = caseRand(2, i)
    const { cap, desc } = mutated(rand, seen)
    writeSegments(dir, cap)
    try {
      const problems: string[] = []
      for (const f of fs.readdirSync(dir)) {
        try {
          readSegment(path.join(dir, f))
        } catch (err) {
          if (!(err instanceof CaptureHeaderError)) throw err
        }
      }
      // capture acknowledges up to what the scan finds: never a seq the capture did not reach
      for (const [cpu, seq] of scanSpool(dir).subbufSeq.get(FUZZ_CHANNEL) ?? []) {
        if (cpu > 2 || seq > (cap.subbufs.filter(s => s.cpu === cpu).at(-1)?.seq ?? 0)) problems.push(`scan found sub-buffer ${seq} of cpu ${cpu}`)
      }
      const out = newOutput()
      const lines: string[] = []
      const r = await replaySpool(dir, new OraclePipeline(out).asPipeline(), l => lines.push(l))
      out.reported = r.damagedSpans > 0 || r.duplicates > 0 || r.damagedSegments.length > 0 || r.tornBytes > 0 || r.cutSegments.length > 0
      problems.push(...checkOutput(cap, out, gapReason(desc)), ...checkLog(lines, dir))
      if (r.damagedSpans + r.damagedSegments.length > lines.length) problems.push(`${r.damagedSpans} spans, ${r.damagedSegments.length} segments, ${lines.length} lines`)
      if (problems.length > 0) failed('spool', i, desc, problems)
    } catch (err) {
      if (err instanceof assert.AssertionError) throw err
      failed('spool', i, desc, [(err as Error).stack ?? String(err)])
    }
  }
  t.diagnostic(`mutations: ${[...seen].map(([k, v]) => `${k} ${v}`).join(', ')}`)
  assert.equal(seen.size, MUTATIONS.length, 'every kind of mutation drawn')
})

/** Records and loss rows of an archive, through DuckDB. */
async function readBack (out: string, into: FuzzOutput): Promise<void> {
  const { DuckDBInstance } = await import('@duckdb/node-api')
  const db = await DuckDBInstance.create(':memory:')
  const conn = await db.connect()
  try {
    const q = (ds: string): string => path.join(out, ds, '**/*.parquet').replace(/'/g, "''")
    if (fs.existsSync(path.join(out, 'records'))) {
      const r = await conn.runAndReadAll(`SELECT cpu, seq::BIGINT::INTEGER AS seq, msg, (epoch_us(ts) * 1000 + ts_nanos - mono_offset_ns)::INTEGER AS ts FROM read_parquet('${q('records')}')`)
      for (const row of r.getRowObjectsJS() as unknown as Array<{ cpu: number, seq: number, msg: string, ts: number }>) addRecord(into, row.cpu, row.seq, { msg: row.msg, ts: row.ts })
    }
    if (fs.existsSync(path.join(out, 'losses'))) {
      const r = await conn.runAndReadAll(`SELECT cpu, first_seq::BIGINT::INTEGER AS firstSeq, count::BIGINT::INTEGER AS count, reason FROM read_parquet('${q('losses')}')`)
      into.losses.push(...r.getRowObjectsJS() as unknown as FuzzOutput['losses'])
    }
  } finally {
    conn.closeSync()
    db.closeSync()
  }
}

test(`krelay archive --from: ${CLI_CASES} mutated spools archived and read back from Parquet, every record exact or in a loss row`, async (t) => {
  t.diagnostic(`KRELAY_FUZZ_SEED=${SEED}`)
  const root = tmp()
  for (let i = 0; i < CLI_CASES; i++) {
    const rand = caseRand(3, i)
    let m = mutated(rand)
    // a case that archives something (a spool of only bad segments is refused, and tested elsewhere)
    while (m.cap.segments.every(s => s.length < 64)) m = mutated(rand)
    const { cap, desc } = m
    const from = path.join(root, `spool-${i}`)
    const out = path.join(root, `out-${i}`)
    fs.mkdirSync(from)
    writeSegments(from, cap)
    const lines: string[] = []
    try {
      let r
      try {
        r = await runArchive({ from, out, fileSize: 128 }, l => lines.push(l))
      } catch (err) {
        // refused with a clear message when no segment has a good header: then nothing can be read
        if (!(err instanceof CliFailure && /has a whole, good header/.test(err.message))) throw err
        for (const f of fs.readdirSync(from)) assert.equal(readSegmentOrBad(path.join(from, f)), 'bad', `${f} was readable: ${err.message}`)
        continue
      }
      const got = newOutput()
      await readBack(out, got)
      got.reported = r.replay.damagedSpans > 0 || r.replay.duplicates > 0 || r.replay.damagedSegments.length > 0 || r.replay.tornBytes > 0 || r.replay.cutSegments.length > 0
      const problems = [...checkOutput(cap, got, gapReason(desc)), ...checkLog(lines, from)]
      if (got.records.size === 0 && cap.records.size > 0 && !got.reported) problems.push('nothing archived')
      if (problems.length > 0) failed('archive', i, desc, problems)
    } catch (err) {
      if (err instanceof assert.AssertionError) throw err
      failed('archive', i, desc, [(err as Error).stack ?? String(err)])
    }
  }
})
