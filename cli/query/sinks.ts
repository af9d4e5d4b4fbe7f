// Where krelay query's rows go, one DuckDB chunk (up to 2048 rows) at a time: CSV and
// JSON lines are written as they come, the table keeps at most --max-rows rows.
import { DuckDBTypeId, type DuckDBValue } from '@duckdb/node-api'
import { cellText, renderTable, TableCollector, type TableColumn } from './table.ts'
import { jsonOf, textOf } from './values.ts'

export interface ResultShape {
  names: readonly string[]
  /** names made unique (uniqueNames): the keys of a JSON object */
  uniqueNames: readonly string[]
  types: readonly string[]
  typeIds: readonly DuckDBTypeId[]
}

export interface Sink {
  /** text to write for these rows (may be '') */
  rows(rows: readonly (readonly DuckDBValue[])[]): string
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
      rows: rows => {
        let s = ''
        for (const r of rows) s += r.map((v, i) => csvField(textOf(v, floats[i]))).join(',') + '\n'
        return s
      },
      end: () => '',
    },
  }
}

export function jsonSink (shape: ResultShape): Sink {
  return {
    rows: rows => {
      let s = ''
      for (const r of rows) {
        const o: Record<string, unknown> = {}
        r.forEach((v, i) => { o[shape.uniqueNames[i]!] = jsonOf(v) })
        s += JSON.stringify(o) + '\n'
      }
      return s
    },
    end: () => '',
  }
}

export function tableSink (shape: ResultShape, maxRows: number, width: number): Sink {
  const floats = shape.typeIds.map(t => FLOATS.has(t))
  const columns: TableColumn[] = shape.names.map((name, i) => ({ name, type: shape.types[i]!.toLowerCase().replace('timestamp with time zone', 'timestamptz'), numeric: NUMERIC.has(shape.typeIds[i]!) }))
  const t = new TableCollector(maxRows)
  return {
    rows: rows => {
      for (const r of rows) t.add(r.map((v, i) => cellText(textOf(v, floats[i]))))
      return ''
    },
    end: () => renderTable(columns, t, width).join('\n') + '\n',
  }
}
