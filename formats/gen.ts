// Generator records (PROTOCOL.md §7): the exact content of record `index` of CPU `cpu`
// in run `run`, as a writer (simulator) and an allocation-free checker (verifier).
import { GEN_FILL_MOD, GEN_PAYLOAD as P, GEN_PAYLOAD_SIZE, KIND_BINARY, KIND_TEXT, TYPE_GEN } from './wire.ts'
import { readU64Safe, writeU64Number } from './u64.ts'
import type { RecordView } from './record.ts'
import { asDataView, type Bytes } from './bytes.ts'

export function genKind (index: number): number {
  return index % 2 === 0 ? KIND_BINARY : KIND_TEXT
}

export function genLevel (index: number): number {
  return index % 8
}

function decimalDigits (value: number): number {
  let digits = 1
  while (value >= 10) { value = Math.floor(value / 10); digits++ }
  return digits
}

const TEXT_RUN = Buffer.from('gen run=', 'latin1')
const TEXT_CPU = Buffer.from(' cpu=', 'latin1')
const TEXT_INDEX = Buffer.from(' index=', 'latin1')

export function genPayloadLength (run: number, cpu: number, index: number): number {
  if (index % 2 === 0) return GEN_PAYLOAD_SIZE + (index % GEN_FILL_MOD)
  return TEXT_RUN.length + decimalDigits(run) + TEXT_CPU.length + decimalDigits(cpu) +
    TEXT_INDEX.length + decimalDigits(index)
}

function writeBytes (view: DataView, off: number, bytes: Buffer): number {
  for (let i = 0; i < bytes.length; i++) view.setUint8(off + i, bytes[i]!)
  return bytes.length
}

/** Writes `value` (a non-negative integer) in decimal at `off`; returns the bytes written. */
function writeDecimal (view: DataView, off: number, value: number): number {
  const digits = decimalDigits(value)
  for (let i = digits - 1; i >= 0; i--) {
    view.setUint8(off + i, 0x30 + (value % 10))
    value = Math.floor(value / 10)
  }
  return digits
}

/** Writes the payload of generator record `index` at `off`; returns its length. */
export function writeGenPayload (bytes: Bytes, off: number, run: number, cpu: number, index: number): number {
  const view = asDataView(bytes)
  if (index % 2 === 0) {
    writeU64Number(view, off + P.index.offset, index)
    view.setUint32(off + P.cpu.offset, cpu, true)
    view.setUint32(off + P.run.offset, run, true)
    const fill = index % GEN_FILL_MOD
    for (let i = 0; i < fill; i++) view.setUint8(off + GEN_PAYLOAD_SIZE + i, (index + i) & 0xff)
    return GEN_PAYLOAD_SIZE + fill
  }
  let at = off
  at += writeBytes(view, at, TEXT_RUN)
  at += writeDecimal(view, at, run)
  at += writeBytes(view, at, TEXT_CPU)
  at += writeDecimal(view, at, cpu)
  at += writeBytes(view, at, TEXT_INDEX)
  at += writeDecimal(view, at, index)
  return at - off
}

/** Offset after `expected` if the bytes at `off` are it, else -1. */
function matchBytes (view: DataView, off: number, end: number, expected: Buffer): number {
  if (off < 0 || end - off < expected.length) return -1
  for (let i = 0; i < expected.length; i++) if (view.getUint8(off + i) !== expected[i]) return -1
  return off + expected.length
}

/** Offset after the decimal spelling of `value` if the bytes at `off` are it, else -1. */
function matchDecimal (view: DataView, off: number, end: number, value: number): number {
  const digits = decimalDigits(value)
  if (off < 0 || end - off < digits) return -1
  for (let i = digits - 1; i >= 0; i--) {
    if (view.getUint8(off + i) !== 0x30 + (value % 10)) return -1
    value = Math.floor(value / 10)
  }
  return off + digits
}

/** Which generator record a record claims to be. */
export interface GenIdentity { run: number, cpu: number, index: number }

export function createGenIdentity (): GenIdentity {
  return { run: 0, cpu: 0, index: 0 }
}

/** Parses 1 to 15 decimal digits at `off` into `into[field]`; the offset after them, or -1. */
function readDecimal (view: DataView, off: number, end: number, into: GenIdentity, field: keyof GenIdentity): number {
  if (off < 0) return -1
  let value = 0
  let at = off
  for (; at < end; at++) {
    const digit = view.getUint8(at) - 0x30
    if (digit < 0 || digit > 9) break
    if (at - off >= 15) return -1
    value = value * 10 + digit
  }
  if (at === off) return -1
  into[field] = value
  return at
}

/**
 * Reads run, cpu and index from a generator record's payload (the binary struct, or the
 * text); false if the payload has neither shape. Checks nothing else.
 */
export function readGenIdentity (view: DataView, rec: RecordView, into: GenIdentity): boolean {
  const start = rec.payloadOff
  const end = start + rec.payloadLen
  if (rec.kind === KIND_BINARY) {
    if (rec.payloadLen < GEN_PAYLOAD_SIZE) return false
    into.index = readU64Safe(view, start + P.index.offset)
    into.cpu = view.getUint32(start + P.cpu.offset, true)
    into.run = view.getUint32(start + P.run.offset, true)
    return into.index >= 0
  }
  let at = matchBytes(view, start, end, TEXT_RUN)
  at = readDecimal(view, at, end, into, 'run')
  at = matchBytes(view, at, end, TEXT_CPU)
  at = readDecimal(view, at, end, into, 'cpu')
  at = matchBytes(view, at, end, TEXT_INDEX)
  at = readDecimal(view, at, end, into, 'index')
  return at === end
}

/** Whether `rec` is exactly generator record `index` of `cpu` in `run`: type, kind, level, payload. */
export function isGenRecord (view: DataView, rec: RecordView, run: number, cpu: number, index: number): boolean {
  if (rec.type !== TYPE_GEN || rec.kind !== genKind(index) || rec.level !== genLevel(index)) return false
  if (rec.payloadLen !== genPayloadLength(run, cpu, index)) return false
  const start = rec.payloadOff
  const end = start + rec.payloadLen
  if (rec.kind === KIND_TEXT) {
    let at = matchBytes(view, start, end, TEXT_RUN)
    at = matchDecimal(view, at, end, run)
    at = matchBytes(view, at, end, TEXT_CPU)
    at = matchDecimal(view, at, end, cpu)
    at = matchBytes(view, at, end, TEXT_INDEX)
    at = matchDecimal(view, at, end, index)
    return at === end
  }
  if (readU64Safe(view, start + P.index.offset) !== index) return false
  if (view.getUint32(start + P.cpu.offset, true) !== cpu || view.getUint32(start + P.run.offset, true) !== run) return false
  const fill = index % GEN_FILL_MOD
  for (let i = 0; i < fill; i++) if (view.getUint8(start + GEN_PAYLOAD_SIZE + i) !== ((index + i) & 0xff)) return false
  return true
}
