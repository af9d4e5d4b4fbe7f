// What a record may contain that a terminal must never receive: its message and comm are
// the kernel's bytes, written by any task, so a record could otherwise move the cursor,
// retitle the window or rewrite earlier lines. Every control character is shown as an
// escape instead; the exact text is in the JSON lines and the archive.

/** C0 except tab, DEL and C1 (U+0080..U+009F: U+009B alone is a CSI to some terminals). */
function isControl (c: number): boolean {
  return (c < 0x20 && c !== 0x09) || (c >= 0x7f && c <= 0x9f)
}

/** Applies `esc` to every control character of `s`; `s` itself when it has none. */
function replaceControls (s: string, esc: (c: number) => string): string {
  let i = 0
  while (i < s.length && !isControl(s.charCodeAt(i))) i++
  if (i === s.length) return s
  let out = s.slice(0, i)
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i)
    out += isControl(c) ? esc(c) : s[i]
  }
  return out
}

/** `\x1b` for ESC: the code point in two hex digits, as in a JavaScript string. */
function hexEscape (c: number): string {
  return '\\x' + c.toString(16).padStart(2, '0')
}

function unicodeEscape (c: number): string {
  return '\\u' + c.toString(16).padStart(4, '0')
}

/**
 * `s` with every control character (C0 except tab, DEL, C1) escaped as `\xNN`. A backslash
 * is left as it is, so `\x1b` in a line is either an escaped ESC or those four characters
 * in the message: this is a view for people; JSON lines are exact.
 */
export function visible (s: string): string {
  return replaceControls(s, hexEscape)
}

/**
 * The same inside a JSON text: JSON.stringify escapes C0 but leaves DEL and C1 as they
 * are; `\u007f` and friends keep the line free of control characters and parse back to
 * the same string.
 */
export function jsonVisible (json: string): string {
  return replaceControls(json, unicodeEscape)
}

/** The first 16 bytes as hex pairs separated by spaces, then ` …` when there are more. */
export function hexPreview (bytes: Uint8Array): string {
  const n = Math.min(bytes.length, 16)
  let out = ''
  for (let i = 0; i < n; i++) out += (i === 0 ? '' : ' ') + bytes[i]!.toString(16).padStart(2, '0')
  return bytes.length > n ? out + ' …' : out
}

/** An integer with en-US thousands separators (`48,112`), whatever the locale. */
export function grouped (n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}
