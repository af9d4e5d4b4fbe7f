// DuckDB values as krelay query prints them.
//   text (the table and --csv): DuckDB's own text form (what its CLI and COPY ... (FORMAT
//     csv) print), with times in UTC: TIMESTAMPTZ `2026-03-09 06:59:59.380197+00`, BLOB
//     `\x00\xFF`, DOUBLE `3.0`.
//   JSON (--json): numbers as JSON numbers, except 64- and 128-bit integers beyond
//     +-(2^53 - 1), which a JSON reader would round, as strings of their exact decimal value;
//     DECIMAL as a number (a double); NaN and infinities as the strings NaN, Infinity, -Infinity; BLOB as lowercase hex;
//     TIMESTAMPTZ as RFC 3339 UTC (`2026-03-09T06:59:59.380197Z`, all the type's digits),
//     TIMESTAMP as the same without the Z; DATE `2026-03-09`; LIST and ARRAY as arrays,
//     STRUCT and MAP as objects; anything else as DuckDB's text.
import {
  DuckDBArrayValue, DuckDBBlobValue, DuckDBDecimalValue, DuckDBListValue, DuckDBMapValue, DuckDBStructValue,
  DuckDBTimestampMillisecondsValue, DuckDBTimestampNanosecondsValue, DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue, DuckDBTimestampValue, DuckDBUnionValue, type DuckDBValue,
} from '@duckdb/node-api'

/** A DOUBLE or FLOAT as DuckDB prints it: shortest round trip, `.0` on whole numbers, exponent below 1e-4 and from 1e16. */
export function doubleText (x: number): string {
  if (Number.isNaN(x)) return 'nan'
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf'
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0'
  const [mant, expText] = x.toExponential().split('e') as [string, string]
  const exp = Number(expText)
  if (exp < -4 || exp >= 16) return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`
  const s = String(x)
  return /[.e]/.test(s) ? s : `${s}.0`
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)

/** A BLOB as DuckDB's BLOB-to-VARCHAR cast writes it: printable ASCII as is, other bytes and " ' \\ as \\xHH. */
export function blobText (bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) {
    s += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x27 && b !== 0x5c
      ? String.fromCharCode(b)
      : '\\x' + b.toString(16).toUpperCase().padStart(2, '0')
  }
  return s
}

/** UTC `YYYY-MM-DD HH:MM:SS[.fraction]` (DuckDB's form, zeros at the end of the fraction dropped) or RFC 3339 (`T`, the type's digits). */
function utcText (units: bigint, perSecond: bigint, digits: number, rfc: boolean): string {
  let s = units / perSecond
  let frac = units % perSecond
  if (frac < 0n) { frac += perSecond; s -= 1n }
  const iso = new Date(Number(s) * 1000).toISOString()
  if (Number.isNaN(Date.parse(iso))) return String(units)
  const fracText = digits === 0 ? '' : String(frac).padStart(digits, '0')
  if (rfc) return `${iso.slice(0, 19)}${fracText === '' ? '' : '.' + fracText}`
  const trimmed = fracText.replace(/0+$/, '')
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${trimmed === '' ? '' : '.' + trimmed}`
}

/** The time of a timestamp value as [units, units per second, digits, has zone], or null for other values. */
function timestampParts (v: DuckDBValue): [bigint, bigint, number, boolean] | null {
  if (v instanceof DuckDBTimestampTZValue) return [v.micros, 1_000_000n, 6, true]
  if (v instanceof DuckDBTimestampValue) return [v.micros, 1_000_000n, 6, false]
  if (v instanceof DuckDBTimestampNanosecondsValue) return [v.nanos, 1_000_000_000n, 9, false]
  if (v instanceof DuckDBTimestampMillisecondsValue) return [v.millis, 1000n, 3, false]
  if (v instanceof DuckDBTimestampSecondsValue) return [v.seconds, 1n, 0, false]
  return null
}

function finite (v: DuckDBValue): boolean {
  return !(v instanceof DuckDBTimestampTZValue || v instanceof DuckDBTimestampValue || v instanceof DuckDBTimestampNanosecondsValue) ||
    /\d:\d/.test(String(v))
}

/** DuckDB's text of a value (null for SQL NULL); `float`: the column is FLOAT or DOUBLE. */
export function textOf (v: DuckDBValue, float = false): string | null {
  if (v === null) return null
  if (typeof v === 'string') return v
  if (typeof v === 'number') return float ? doubleText(v) : String(v)
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v)
  if (v instanceof DuckDBBlobValue) return blobText(v.bytes)
  const t = timestampParts(v)
  if (t !== null && finite(v)) return utcText(t[0], t[1], t[2], false) + (t[3] ? '+00' : '')
  return String(v)
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

/** A value as JSON (see the top of this file). */
export function jsonOf (v: DuckDBValue): Json {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v)
  if (typeof v === 'bigint') return v <= MAX_SAFE && v >= -MAX_SAFE ? Number(v) : String(v)
  if (v instanceof DuckDBBlobValue) return Buffer.from(v.bytes).toString('hex')
  if (v instanceof DuckDBDecimalValue) return v.toDouble()
  const t = timestampParts(v)
  if (t !== null) return finite(v) ? utcText(t[0], t[1], t[2], true) + (t[3] ? 'Z' : '') : String(v)
  if (v instanceof DuckDBListValue || v instanceof DuckDBArrayValue) return v.items.map(jsonOf)
  if (v instanceof DuckDBStructValue) return Object.fromEntries(Object.entries(v.entries).map(([k, x]) => [k, jsonOf(x)]))
  if (v instanceof DuckDBMapValue) return Object.fromEntries(v.entries.map(e => [textOf(e.key) ?? 'NULL', jsonOf(e.value)]))
  if (v instanceof DuckDBUnionValue) return jsonOf(v.value)
  return String(v)
}
