// Handing a byte range of a record to DuckDB without allocating per record.
//
// The bindings take a string or bytes only as a whole Uint8Array, and a subarray per
// record is an allocation. So the range is copied into one scratch buffer, and DuckDB
// gets a view of the scratch buffer of exactly that length: one view per distinct
// length, made the first time that length is seen and kept (at most one per length up
// to the longest payload). DuckDB copies the bytes before the call returns, so all views
// share the same scratch memory.
//
// isUtf8 tells whether a range is valid UTF-8, without allocating: text goes to DuckDB
// as the bytes the kernel wrote only when decoding them would give those bytes back.

export class ExactBytes {
  private scratch = new Uint8Array(256)
  private views: Uint8Array[] = []

  /** A view of exactly end - start bytes holding src[start, end); valid until the next call. */
  copy (src: Uint8Array, start: number, end: number): Uint8Array {
    const len = end - start
    if (len > this.scratch.length) this.grow(len)
    const dst = this.scratch
    for (let i = 0; i < len; i++) dst[i] = src[start + i]!
    let v = this.views[len]
    if (v === undefined) v = this.views[len] = dst.subarray(0, len)
    return v
  }

  private grow (len: number): void {
    let size = this.scratch.length
    while (size < len) size *= 2
    this.scratch = new Uint8Array(size)
    this.views = []
  }
}

/** True when src[start, end) is well-formed UTF-8 (what Buffer#toString would decode unchanged). */
export function isUtf8 (src: Uint8Array, start: number, end: number): boolean {
  let i = start
  // ASCII first: the common case costs one pass and one test per byte
  while (i < end && src[i]! < 0x80) i++
  while (i < end) {
    const b = src[i]!
    if (b < 0x80) { i++; continue }
    // continuation bytes after the lead byte, and the smallest code point that needs them
    const need = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : 0
    if (need === 0 || i + need >= end) return false
    const min = need === 1 ? 0x80 : need === 2 ? 0x800 : 0x10000
    let cp = b & (0x3f >> need)
    for (let k = 1; k <= need; k++) {
      const c = src[i + k]!
      if ((c & 0xc0) !== 0x80) return false
      cp = (cp << 6) | (c & 0x3f)
    }
    // overlong forms, UTF-16 surrogates and values above U+10FFFF are not UTF-8
    if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return false
    i += need + 1
  }
  return true
}
