// A subscriber's filter, compiled once from its hello and applied to every record the
// merge releases, before anything is copied for it. The cheap header fields are checked
// first; --grep decodes a message only for a text record every other test let through,
// and a plain literal pattern is a byte search on the payload, with no string at all.
import { COMM_LEN, KIND_TEXT, LEVEL_NAMES } from '../../formats/wire.ts'
import {
  recordCommOffset, recordKind, recordLen, recordLevel, recordPad, recordPayloadOffset, recordPid, recordType,
} from '../../formats/record.ts'
import type { LiveFilterSpec } from '../../formats/live-hello.ts'

/** Regular expression syntax: a pattern without any of these matches itself. */
const SPECIAL = /[\\^$.|?*+()[\]{}]/

export class LiveFilter {
  /** by CPU number: 1 if wanted; null: every CPU */
  private readonly cpus: Uint8Array | null
  /** records of a level value above this (less severe) are rejected */
  private readonly maxLevel: number
  private readonly types: Uint8Array | null
  private readonly pids: Set<number> | null
  /** each wanted comm as its 16 NUL-padded bytes */
  private readonly comms: Uint8Array[] | null
  private readonly literal: Uint8Array | null
  private readonly regex: RegExp | null
  private view: DataView | undefined
  private bytes: Uint8Array = new Uint8Array(0)

  /** Throws a SyntaxError for a grep pattern that is not a valid regular expression. */
  constructor (spec: LiveFilterSpec) {
    this.cpus = spec.cpu === undefined ? null : bitmap(spec.cpu, Math.max(...spec.cpu) + 1)
    this.maxLevel = spec.level === undefined ? 255 : LEVEL_NAMES.indexOf(spec.level)
    this.types = spec.type === undefined ? null : bitmap(spec.type, 65536)
    this.pids = spec.pid === undefined ? null : new Set(spec.pid)
    this.comms = spec.comm === undefined
      ? null
      : spec.comm.map(c => {
        const b = new Uint8Array(COMM_LEN)
        Buffer.from(b.buffer).write(c, 0, COMM_LEN, 'utf8')
        return b
      })
    const grep = spec.grep
    this.regex = grep === undefined ? null : new RegExp(grep)
    this.literal = grep !== undefined && !SPECIAL.test(grep) ? Buffer.from(grep, 'utf8') : null
  }

  /** Whether losses on `cpu` are sent: only the CPU filter applies to them. */
  wantsCpu (cpu: number): boolean {
    return this.cpus === null || this.cpus[cpu] === 1
  }

  /** Whether the record at `off` passes. Allocates only for a --grep that is not a literal. */
  accepts (view: DataView, off: number, cpu: number): boolean {
    if (this.cpus !== null && this.cpus[cpu] !== 1) return false
    if (recordLevel(view, off) > this.maxLevel) return false
    if (this.types !== null && this.types[recordType(view, off)] !== 1) return false
    if (this.pids !== null && !this.pids.has(recordPid(view, off))) return false
    if (this.comms !== null && !this.commMatches(view, recordCommOffset(off))) return false
    if (this.regex === null) return true
    if (recordKind(view, off) !== KIND_TEXT) return false
    const start = recordPayloadOffset(off)
    const end = off + recordLen(view, off) - recordPad(view, off)
    const bytes = this.bytesOf(view)
    if (this.literal !== null) return indexOf(bytes, start, end, this.literal)
    return this.regex.test(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8', start, end))
  }

  private commMatches (view: DataView, at: number): boolean {
    const bytes = this.bytesOf(view)
    for (const want of this.comms!) {
      let i = 0
      while (i < COMM_LEN && bytes[at + i] === want[i]) i++
      if (i === COMM_LEN) return true
    }
    return false
  }

  /** The view's bytes, made once per merge chunk. */
  private bytesOf (view: DataView): Uint8Array {
    if (view !== this.view) {
      this.view = view
      this.bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength)
    }
    return this.bytes
  }
}

function bitmap (values: readonly number[], size: number): Uint8Array {
  const m = new Uint8Array(size)
  for (const v of values) m[v] = 1
  return m
}

/** Whether `needle` occurs in bytes[start, end). */
function indexOf (bytes: Uint8Array, start: number, end: number, needle: Uint8Array): boolean {
  const n = needle.length
  const first = needle[0]!
  for (let i = start; i + n <= end; i++) {
    if (bytes[i] !== first) continue
    let j = 1
    while (j < n && bytes[i + j] === needle[j]) j++
    if (j === n) return true
  }
  return false
}
