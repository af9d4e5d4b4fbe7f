// The staging file: a plain Parquet file written from column buffers, whole columns at a
// time, for DuckDB to read with read_parquet when it writes the archive's file.
//
// Only what staging needs: flat REQUIRED columns, one PLAIN data page (v1) per column
// chunk, no compression, no statistics, no dictionary. Numbers are written straight from
// their typed arrays (little-endian, as Parquet's PLAIN); byte-array columns arrive
// already PLAIN-encoded (a u32 length before each value, ByteColumn), so writing a row
// group is a few write() calls, and staging a row costs no native call at all.
// Metadata is Thrift's compact protocol (parquet.thrift), encoded by Compact below.

import { closeSync, ftruncateSync, rmSync, writeSync } from 'node:fs'
import { createFileSync } from '../file-mode.ts'

/** How a staging column is stored: INT32 (with an unsigned annotation), DOUBLE, or BYTE_ARRAY. */
export type PlainType = 'u8' | 'u16' | 'u32' | 'i32' | 'f64' | 'utf8' | 'bytes'

export interface PlainColumn {
  readonly name: string;
  readonly type: PlainType;
}

/** Values of a BYTE_ARRAY column, PLAIN-encoded: each a u32 length, then its bytes. */
export class ByteColumn {
  buf: Buffer = Buffer.allocUnsafe(1 << 16)
  private dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength)
  len = 0

  /**
   * Appends src[start, end). Returns the bitwise OR of its bytes: below 0x80 when they are
   * all ASCII, which spares a caller that needs UTF-8 a second pass over them.
   */
  append (src: Uint8Array, start: number, end: number): number {
    const n = end - start
    if (this.len + 4 + n > this.buf.length) this.grow(4 + n)
    const b = this.buf
    let at = this.len
    b[at] = n & 0xff
    b[at + 1] = (n >>> 8) & 0xff
    b[at + 2] = (n >>> 16) & 0xff
    b[at + 3] = n >>> 24
    at += 4
    let or = 0
    for (let i = start; i < end; i++) {
      const x = src[i]!
      b[at++] = x
      or |= x
    }
    this.len = at
    return or
  }

  /**
   * Appends bytes [start, end) of `src`, as append() does, four at a time (DataView
   * reads and writes need no alignment): the collector's path for comm and payload.
   */
  appendView (src: DataView, start: number, end: number): number {
    const n = end - start
    if (this.len + 4 + n > this.buf.length) this.grow(4 + n)
    const dv = this.dv
    let at = this.len
    dv.setUint32(at, n, true)
    at += 4
    let or = 0
    let i = start
    for (; i + 4 <= end; i += 4, at += 4) {
      const w = src.getUint32(i, true)
      dv.setUint32(at, w, true)
      or |= w
    }
    for (; i < end; i++, at++) {
      const x = src.getUint8(i)
      dv.setUint8(at, x)
      or |= x
    }
    this.len = at
    return (or | (or >>> 8) | (or >>> 16) | (or >>> 24)) & 0xff
  }

  /** Removes the value appended last, of `n` bytes. */
  dropLast (n: number): void {
    this.len -= 4 + n
  }

  /** Appends a string as UTF-8 (a lone surrogate becomes U+FFFD). */
  appendString (s: string): void {
    if (this.len + 4 + s.length * 3 > this.buf.length) this.grow(4 + s.length * 3)
    const n = this.buf.write(s, this.len + 4, 'utf8')
    this.buf.writeUInt32LE(n, this.len)
    this.len += 4 + n
  }

  reset (): void {
    this.len = 0
  }

  private grow (need: number): void {
    let size = this.buf.length * 2
    while (size < this.len + need) size *= 2
    const next = Buffer.allocUnsafe(size)
    this.buf.copy(next, 0, 0, this.len)
    this.buf = next
    this.dv = new DataView(next.buffer, next.byteOffset, next.byteLength)
  }
}

export type ColumnData = Uint32Array | Int32Array | Float64Array | ByteColumn

// parquet.thrift enums
const INT32 = 1
const DOUBLE = 5
const BYTE_ARRAY = 6
const REQUIRED = 0
const CONVERTED: Partial<Record<PlainType, number>> = { utf8: 0, u8: 11, u16: 12, u32: 13 }
const PLAIN = 0
const RLE = 3
const physical = (t: PlainType): number => (t === 'f64' ? DOUBLE : t === 'utf8' || t === 'bytes' ? BYTE_ARRAY : INT32)

// Thrift compact protocol types
const T_I32 = 5
const T_I64 = 6
const T_BINARY = 8
const T_LIST = 9
const T_STRUCT = 12

/** Thrift compact protocol writer, for the few structs Parquet metadata needs. */
class Compact {
  private bytes: number[] = []
  private last: number[] = [0]

  private varint (n: number): void {
    while (n >= 0x80) {
      this.bytes.push((n % 0x80) | 0x80)
      n = Math.floor(n / 0x80)
    }
    this.bytes.push(n)
  }

  private field (id: number, type: number): void {
    const delta = id - this.last[this.last.length - 1]!
    if (delta > 0 && delta <= 15) this.bytes.push((delta << 4) | type)
    else {
      this.bytes.push(type)
      this.varint(id * 2)
    }
    this.last[this.last.length - 1] = id
  }

  /** A non-negative integer field (i32 or i64): zigzag of n >= 0 is 2n. */
  int (id: number, n: number, type = T_I32): this {
    this.field(id, type)
    this.varint(n * 2)
    return this
  }

  long (id: number, n: number): this {
    return this.int(id, n, T_I64)
  }

  string (id: number, s: string): this {
    this.field(id, T_BINARY)
    const b = Buffer.from(s, 'utf8')
    this.varint(b.length)
    for (const x of b) this.bytes.push(x)
    return this
  }

  private listHeader (size: number, type: number): void {
    if (size < 15) this.bytes.push((size << 4) | type)
    else {
      this.bytes.push(0xf0 | type)
      this.varint(size)
    }
  }

  ints (id: number, values: readonly number[]): this {
    this.field(id, T_LIST)
    this.listHeader(values.length, T_I32)
    for (const v of values) this.varint(v * 2)
    return this
  }

  strings (id: number, values: readonly string[]): this {
    this.field(id, T_LIST)
    this.listHeader(values.length, T_BINARY)
    for (const v of values) {
      const b = Buffer.from(v, 'utf8')
      this.varint(b.length)
      for (const x of b) this.bytes.push(x)
    }
    return this
  }

  /** A struct field; `body` writes its fields. */
  struct (id: number, body: (c: this) => void): this {
    this.field(id, T_STRUCT)
    this.inStruct(body)
    return this
  }

  /** A list of structs. */
  structs<T> (id: number, items: readonly T[], body: (c: this, item: T) => void): this {
    this.field(id, T_LIST)
    this.listHeader(items.length, T_STRUCT)
    for (const item of items) this.inStruct((c) => body(c, item))
    return this
  }

  private inStruct (body: (c: this) => void): void {
    this.last.push(0)
    body(this)
    this.bytes.push(0)
    this.last.pop()
  }

  /** The top-level struct written so far, with its stop byte. */
  end (): Buffer {
    return Buffer.from([...this.bytes, 0])
  }
}

interface ChunkMeta { offset: number; size: number; values: number }

/** One staging file; rows are added a row group at a time. */
export class PlainParquetFile {
  private fd: number
  private pos = 0
  private rows = 0
  private readonly groups: { rows: number; chunks: ChunkMeta[] }[] = []

  constructor (readonly path: string, private readonly columns: readonly PlainColumn[]) {
    this.fd = createFileSync(path)
    try {
      this.atomically(() => this.write(Buffer.from('PAR1')))
    } catch (err) {
      // not left behind: the stager creates the file again when it repeats
      this.closeFd()
      rmSync(path, { force: true })
      throw err
    }
  }

  /** Writes at the end of what was written (not the file offset: a failed write is cut off). */
  private write (b: Uint8Array, len = b.byteLength): void {
    let done = 0
    while (done < len) done += writeSync(this.fd, b, done, len - done, this.pos + done)
    this.pos += len
  }

  /**
   * Runs `body`'s writes all or nothing: when one fails (a full disk) the file is cut back
   * to where it was and the error, naming this file, is thrown; the caller may repeat.
   */
  private atomically (body: () => void): void {
    const pos = this.pos
    try {
      body()
    } catch (err) {
      this.pos = pos
      try { ftruncateSync(this.fd, pos) } catch {}
      throw Object.assign(new Error(`archive: cannot write staging file ${this.path}: ${(err as Error).message}`, { cause: err }), { path: this.path })
    }
  }

  /** Writes `rows` rows: data[c] holds column c's values (typed arrays: the first `rows`). */
  writeRowGroup (rows: number, data: readonly ColumnData[]): void {
    this.atomically(() => this.writeGroup(rows, data))
  }

  private writeGroup (rows: number, data: readonly ColumnData[]): void {
    const chunks: ChunkMeta[] = []
    this.columns.forEach((col, c) => {
      const d = data[c]!
      const bytes = d instanceof ByteColumn
        ? d.buf.subarray(0, d.len)
        : new Uint8Array(d.buffer, d.byteOffset, rows * d.BYTES_PER_ELEMENT)
      const header = new Compact()
        .int(1, 0) // DATA_PAGE
        .int(2, bytes.byteLength)
        .int(3, bytes.byteLength)
        .struct(5, (h) => h.int(1, rows).int(2, PLAIN).int(3, RLE).int(4, RLE))
        .end()
      const offset = this.pos
      this.write(header)
      this.write(bytes)
      chunks.push({ offset, size: this.pos - offset, values: rows })
    })
    this.groups.push({ rows, chunks })
    this.rows += rows
  }

  /** Writes the footer and closes the file. */
  close (): void {
    const meta = new Compact()
      .int(1, 1)
      .structs(2, [undefined, ...this.columns], (c, col) => {
        if (col === undefined) c.string(4, 'krelay_stage').int(5, this.columns.length)
        else {
          c.int(1, physical(col.type)).int(3, REQUIRED).string(4, col.name)
          const conv = CONVERTED[col.type]
          if (conv !== undefined) c.int(6, conv)
        }
      })
      .long(3, this.rows)
      .structs(4, this.groups, (c, g) => {
        c.structs(1, g.chunks, (cc, ch) => {
          const col = this.columns[g.chunks.indexOf(ch)]!
          cc.long(2, ch.offset).struct(3, (m) => m
            .int(1, physical(col.type))
            .ints(2, [PLAIN, RLE])
            .strings(3, [col.name])
            .int(4, 0) // UNCOMPRESSED
            .long(5, ch.values)
            .long(6, ch.size)
            .long(7, ch.size)
            .long(9, ch.offset))
        })
        c.long(2, g.chunks.reduce((s, ch) => s + ch.size, 0)).long(3, g.rows)
      })
      .string(6, 'krelay staging')
      .end()
    const tail = Buffer.alloc(8)
    tail.writeUInt32LE(meta.length, 0)
    tail.write('PAR1', 4, 'latin1')
    this.atomically(() => {
      this.write(meta)
      this.write(tail)
    })
    this.closeFd()
  }

  /** Closes the file without a footer (it is about to be removed). */
  closeFd (): void {
    if (this.fd >= 0) closeSync(this.fd)
    this.fd = -1
  }
}
