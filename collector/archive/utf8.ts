// Whether a byte range is valid UTF-8, without allocating: text is staged as the bytes
// the kernel wrote only when decoding them would give those bytes back.

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
