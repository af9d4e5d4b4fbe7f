// --csv of one SELECT, fast: DuckDB builds each CSV line itself (every value cast to its
// text and quoted as its COPY does, on its own threads), and JavaScript only passes one
// string per row on. Turning every value into a JavaScript object first (sinks.ts, used
// for everything else) is about five times slower on the records view.
import { StatementType, type DuckDBPreparedStatement, type DuckDBResult } from '@duckdb/node-api'

/** The SQL of a line per row of `select`, whose result has `columns` columns. */
export function csvLinesSql (select: string, columns: number): string {
  const names = Array.from({ length: columns }, (_, i) => `c${i}`)
  // the quoting of sinks.ts csvField: NULL empty, '' as "", quoted when it holds " , # CR LF
  const field = (c: string): string => `CASE WHEN ${c} IS NULL THEN '' WHEN CAST(${c} AS VARCHAR) = '' THEN '""' ` +
    `WHEN regexp_matches(CAST(${c} AS VARCHAR), '[",\\r\\n#]') THEN '"' || replace(CAST(${c} AS VARCHAR), '"', '""') || '"' ` +
    `ELSE CAST(${c} AS VARCHAR) END`
  // the user's SQL on lines of its own: a comment at its end ends there
  return `SELECT concat_ws(',', ${names.map(field).join(', ')}) FROM (\n${select}\n) AS krelay_q(${names.join(', ')})`
}

/** The one SELECT `sql` holds (its text without a final `;`), or null when it is anything else. */
export function singleSelect (sql: string, count: number, prepared: DuckDBPreparedStatement): string | null {
  if (count !== 1 || prepared.statementType !== StatementType.SELECT || prepared.columnCount === 0) return null
  return sql.trim().replace(/;\s*$/, '')
}

/** Streams the lines of `result` (one VARCHAR column): each chunk's lines joined, to `each`, until it says stop. */
export async function streamLines (result: DuckDBResult, each: (text: string) => Promise<boolean>): Promise<void> {
  for (;;) {
    const chunk = await result.fetchChunk()
    if (chunk === null || chunk.rowCount === 0) return
    if (!await each((chunk.getColumnValues(0) as string[]).join('\n') + '\n')) return
  }
}
