// Where krelay query's rows go, one DuckDB chunk (up to 2048 rows) at a time, when
// JavaScript writes them (csv-lines.ts and json-lines.ts have DuckDB write one SELECT's):
// CSV and JSON lines as they come; the table keeps at most --max-rows rows.
import { DuckDBTypeId, type DuckDBDataChunk, type DuckDBValue } from '@duckdb/node-api'
import { cellText, renderTable, type TableColumn } from './table.ts'
import { jsonOf, textOf } from './values.ts'

export interface ResultShape {
  names: readonly string[]
  /** names made unique (uniqueNames): the keys of a JSON object */
  uniqueNames: readonly string[]
  types: readonly string[]
  typeIds: readonly DuckDBTypeId[]
}

export interface Sink {
  /** text to write for the rows of this chunk (may be '') */
  chunk(chunk: DuckDBDataChunk): string
  /** text to write at the end */
  end(): string
}

const FLOATS = new Set([DuckDBTypeId.FLOAT, DuckDBTypeId.DOUBLE])
const NUMERIC = new Set([
  DuckDBTypeId.TINYINT, DuckDBTypeId.SMALLINT, DuckDBTypeId.INTEGER, DuckDBTypeId.BIGINT, DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UTINYINT, DuckDBTypeId.USMALLINT, DuckDBTypeId.UINTEGER, DuckDBTypeId.UBIGINT, DuckDBTypeId.UHUGEINT,
  DuckDBTypeId.FLOAT, DuckDBTypeId.DOUBLE, DuckDBTypeId.DECIMAL,
])

/** A CSV field as DuckDB's COPY writes it: NULL empty, an empty string "", quoted when it holds " , # (the comment character of CSV readers), CR or LF. */
function csvField (s: string | null): string {
  if (s === null) return ''
  if (s === '') return '""'
  return /[",\r\n#]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}

/** Column names made unique for JSON keys: a second `a` is `a:1`, a third `a:2` (as @duckdb/node-api names them). */
export function uniqueNames (names: readonly string[]): string[] {
  const seen = new Map<string, number>()
  return names.map(n => {
    const k = seen.get(n) ?? 0
    seen.set(n, k + 1)
    return k === 0 ? n : `${n}:${k}`
  })
}

/** The header line: the column names as fields. */
export function csvHeader (names: readonly string[]): string {
  return names.map(csvField).join(',') + '\n'
}

export function csvSink (shape: ResultShape): { header: string, sink: Sink } {
  const floats = shape.typeIds.map(t => FLOATS.has(t))
  return {
    header: csvHeader(shape.names),
    sink: {
      chunk: c => {
        let s = ''
        for (const r of c.getRows()) s += r.map((v, i) => csvField(textOf(v, floats[i]))).join(',') + '\n'
        return s
      },
      end: () => '',
    },
  }
}

export function jsonSink (shape: ResultShape): Sink {
  return {
    chunk: c => {
      let s = ''
      for (const r of c.getRows()) {
        const o: Record<string, unknown> = {}
        r.forEach((v, i) => { o[shape.uniqueNames[i]!] = jsonOf(v) })
        s += JSON.stringify(o) + '\n'
      }
      return s
    },
    end: () => '',
  }
}

/**
 * The table: the first ceil(maxRows / 2) rows and the last floor(maxRows / 2). Only those
 * are turned into text; of the chunks after the first rows only the last few that hold the
 * last rows are kept, so counting a large result costs no conversion.
 */
export function tableSink (shape: ResultShape, maxRows: number, width: number): Sink {
  const floats = shape.typeIds.map(t => FLOATS.has(t))
  const columns: TableColumn[] = shape.names.map((name, i) => ({ name, type: shape.types[i]!.toLowerCase().replace('timestamp with time zone', 'timestamptz'), numeric: NUMERIC.has(shape.typeIds[i]!) }))
  const text = (row: readonly DuckDBValue[]): string[] => row.map((v, i) => cellText(textOf(v, floats[i])))
  const headRows = Math.ceil(maxRows / 2)
  const tailRows = maxRows - headRows
  const head: string[][] = []
  /** chunks after the head, with the index of their first row not in the head */
  const held: [DuckDBDataChunk, number][] = []
  let total = 0
  return {
    chunk: c => {
      let from = 0
      while (head.length < headRows && from < c.rowCount) head.push(text(c.getRowValues(from++)))
      total += c.rowCount
      if (from < c.rowCount && tailRows > 0) {
        held.push([c, from])
        // the oldest chunk goes once the others hold the last rows without it
        while (held.length > 1 && held.slice(1).reduce((n, [h, f]) => n + h.rowCount - f, 0) >= tailRows) held.shift()
      }
      return ''
    },
    end: () => {
      const rest: string[][] = []
      for (let k = held.length - 1; k >= 0 && rest.length < tailRows; k--) {
        const [c, from] = held[k]!
        for (let i = c.rowCount - 1; i >= from && rest.length < tailRows; i--) rest.push(text(c.getRowValues(i)))
      }
      return renderTable(columns, { head, tail: rest.reverse(), total }, width).join('\n') + '\n'
    },
  }
}
