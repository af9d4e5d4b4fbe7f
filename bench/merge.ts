// merge: decode and merge of a capture with 2, 8 and 64 CPU streams, against a C program
// (bench/c/merge.c) that decodes and k-way merges the same bytes.
//
//   node --import tsx bench/merge.ts [--quick]
//
// For each stream count the benchmark writes one capture segment with the same number of
// records in all (bench/merge-capture.ts), then decodes and merges it with:
//   C    bench/c/merge.c, built with gcc -O2 at start: read() the file, check every
//        sub-buffer header and record, heap of stream heads as blkparse, released after
//        each pass below the lowest watermark.
//   ts   what `krelay archive --from` does (collector/collect/replay.ts, pipeline.ts):
//        readSegment, checkSubbufHeader, decodeSubbuf (walks and validates every record),
//        Merge.push + setWatermark per sub-buffer, release('watermark') after each pass,
//        release('all') at the end.
// Both fold the emitted (cpu, seq) order into the same hash, which must agree. Times are
// CPU times (the machine is shared), file read included, best of REPEATS after a warm-up.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { dataView } from '../formats/bytes.ts'
import { createRecordView } from '../formats/record.ts'
import { checkSubbufHeader, createSubbufHeader, HEADER_OK, readSubbufHeader } from '../formats/subbuf-header.ts'
import { RECORD_HDR } from '../formats/wire.ts'
import { Merge } from '../collector/merge/merge.ts'
import { decodeSubbuf } from '../collector/source/decode-subbuf.ts'
import { createSeqState } from '../collector/source/records.ts'
import { readSegment } from '../collector/spool/spool-reader.ts'
import { cpuMs } from './cpu-time.ts'
import { goalLine, isQuick, millions } from './goal.ts'
import { SUBBUF, writeCapture } from './merge-capture.ts'

const QUICK = isQuick()
const RECORDS = QUICK ? 400_000 : 4_000_000
const STREAMS = [2, 8, 64]
const REPEATS = QUICK ? 2 : 3
const SEQ = RECORD_HDR.seq.offset
const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url))

interface Result { records: number, ms: number, hash: number }

/** Decode and merge as `krelay archive --from` drives them. */
function mergeTs (file: string, cpus: number): Result {
  let records = 0
  let hash = 2166136261
  const t0 = cpuMs()
  const merge = new Merge((view, off, cpu) => {
    hash = Math.imul(hash ^ cpu, 16777619)
    hash = Math.imul(hash ^ view.getUint32(off + SEQ, true), 16777619)
    records++
  })
  for (let cpu = 0; cpu < cpus; cpu++) merge.addCpu(cpu)
  const header = createSubbufHeader()
  const rec = createRecordView()
  const states = Array.from({ length: cpus }, createSeqState)
  const seg = readSegment(file)
  if (seg === null) throw new Error(`${file}: no capture header`)
  let inRound = 0
  for (const { cpu, bytes } of seg.subbufs) {
    readSubbufHeader(dataView(bytes), 0, header)
    const status = checkSubbufHeader(header, cpu, seg.meta.subbufSize)
    if (status !== HEADER_OK) throw new Error(`sub-buffer ${header.seq} of cpu ${cpu}: header status ${status}`)
    const sub = decodeSubbuf(cpu, header.seq, bytes, header, status, states[cpu]!, rec, header.watermarkHi, header.watermarkLo)
    if (sub.fault !== null) throw new Error(`sub-buffer ${header.seq} of cpu ${cpu}: ${sub.fault.description}`)
    merge.push(cpu, sub.view, sub.recordsStart, sub.recordsEnd)
    merge.setWatermark(cpu, header.watermarkHi, header.watermarkLo)
    if (++inRound === cpus) { merge.release('watermark'); inRound = 0 }
  }
  merge.release('all')
  return { records, ms: cpuMs() - t0, hash: hash >>> 0 }
}

function mergeC (binary: string, file: string, cpus: number): Result {
  const out = execFileSync(binary, [file, String(cpus), String(REPEATS)], { encoding: 'utf8' }).trim().split(' ')
  return { records: Number(out[0]), ms: Number(out[1]), hash: Number(out[2]) }
}

function buildC (dir: string): string {
  const binary = path.join(dir, 'merge')
  const include = path.join(BENCH_DIR, '..', 'formats')
  execFileSync('gcc', ['-O2', '-msse4.2', '-Wall', '-Werror', '-I', include, '-o', binary, path.join(BENCH_DIR, 'c', 'merge.c')], { stdio: 'inherit' })
  return binary
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'krelay-bench-merge-'))
try {
  const binary = buildC(dir)
  console.log(`merge: ${RECORDS} records over 2, 8 and 64 CPU streams, ${SUBBUF / 1024} KiB sub-buffers, best of ${REPEATS}`)
  { // warm-up: the JIT compiles decode and merge before anything is timed
    const file = path.join(dir, 'warm.krcap')
    writeCapture(file, 200_000, 8)
    for (let i = 0; i < 3; i++) mergeTs(file, 8)
  }
  const rates = new Map<number, { ts: number, c: number }>()
  for (const cpus of STREAMS) {
    const file = path.join(dir, `${cpus}.krcap`)
    writeCapture(file, RECORDS, cpus)
    const c = mergeC(binary, file, cpus)
    let ts = mergeTs(file, cpus)
    for (let i = 1; i < REPEATS; i++) {
      const again = mergeTs(file, cpus)
      if (again.ms < ts.ms) ts = again
    }
    if (ts.records !== RECORDS || c.records !== RECORDS || ts.hash !== c.hash) {
      throw new Error(`${cpus} streams: TypeScript emitted ${ts.records} records (hash ${ts.hash}), C ${c.records} (hash ${c.hash})`)
    }
    fs.rmSync(file)
    const rate = { ts: RECORDS / (ts.ms / 1000), c: RECORDS / (c.ms / 1000) }
    rates.set(cpus, rate)
    console.log(`${String(cpus).padStart(2)} streams  C ${millions(rate.c, 'records/s').padStart(17)}  ts ${millions(rate.ts, 'records/s').padStart(17)}  ts/C ${(rate.ts / rate.c).toFixed(2)}  (same order)`)
  }
  for (const cpus of STREAMS) {
    const r = rates.get(cpus)!
    console.log(goalLine({
      name: 'merge',
      figure: `${millions(r.ts, 'records/s')}, ${cpus} streams`,
      ratio: r.ts / r.c,
      baseline: 'a C decode + k-way merge of the same bytes (bench/c/merge.c)',
      goal: '>= 0.5x',
      met: r.ts / r.c >= 0.5,
    }))
  }
  const scale = rates.get(64)!.ts / rates.get(2)!.ts
  // what the working set costs any merge: 64 sub-buffers of 256 KiB per pass do not stay in cache
  console.log(`64 streams / 2 streams: ts ${scale.toFixed(2)}x, C ${(rates.get(64)!.c / rates.get(2)!.c).toFixed(2)}x`)
  console.log(goalLine({
    name: 'merge',
    figure: `${millions(rates.get(64)!.ts, 'records/s')}, 64 streams`,
    ratio: scale,
    baseline: 'the rate of 2 streams',
    goal: '>= 0.8x',
    met: scale >= 0.8,
  }))
} finally {
  fs.rmSync(dir, { recursive: true, force: true })
}
