// krelay query: the user's SQL over the views `records` and `losses` (offline/archive-db.ts),
// streamed chunk by chunk to a table, CSV or JSON lines, or COPYed to a Parquet file.
// Statements before the last run first (`SET ...; SELECT ...`); the last one's rows are printed.
import type { DuckDBConnection } from '@duckdb/node-api'
import { lit } from '../../collector/archive/sql.ts'
import { openArchive, type ArchiveFilter } from '../../offline/archive-db.ts'
import { CliFailure, EXIT_OK, UsageError } from '../errors.ts'
import { OutWriter } from '../out-writer.ts'
import { interruptOnSignals } from '../signals.ts'
import { csvHeader, csvSink, jsonSink, tableSink, uniqueNames, type ResultShape, type Sink } from './sinks.ts'
import { csvLinesSql, singleSelect, streamLines } from './csv-lines.ts'
import { jsonLinesSql } from './json-lines.ts'

/** a command ended by SIGINT or SIGTERM, as a shell reports Ctrl-C */
export const EXIT_INTERRUPTED = 130

export type QueryFormat = 'table' | 'csv' | 'json' | 'parquet'

export interface QueryRun {
  dirs: readonly string[]
  sql: string
  filter: ArchiveFilter
  format: QueryFormat
  /** --parquet FILE */
  parquet?: string
  /** the table: rows shown at most, and the width it fits in (Infinity: any) */
  maxRows: number
  width: number
}

/** DuckDB's message (its first line) and the query it is about. */
function sqlFailure (e: unknown, sql: string): CliFailure {
  // the bindings prefix a parse error with what they were doing
  const message = (e instanceof Error ? e.message : String(e)).replace(/^Failed to extract statements:\s*/, '')
  const flat = sql.replace(/\s+/g, ' ').trim()
  const shown = flat.length > 200 ? flat.slice(0, 199) + '…' : flat
  return new CliFailure(`${message.split('\n')[0]!} (in the query: ${shown})`)
}

export async function runQuery (q: QueryRun, writer = new OutWriter(), log: (line: string) => void = l => process.stderr.write(l + '\n')): Promise<number> {
  let db
  try {
    db = await openArchive(q.dirs, q.filter)
  } catch (e) {
    throw new CliFailure(`reading the archive in ${q.dirs.join(', ')}: ${(e as Error).message}`)
  }
  const signals = interruptOnSignals(() => db.conn.interrupt())
  try {
    if (q.format === 'parquet') {
      const rows = await copyToParquet(db.conn, q.sql, q.parquet!)
      if (signals.interrupted()) throw new CliFailure('interrupted', EXIT_INTERRUPTED)
      log(`krelay query: ${rows} ${rows === 1 ? 'row' : 'rows'} written to ${q.parquet!}`)
      return EXIT_OK
    }
    await streamRows(db.conn, q, writer)
    // an interrupted stream can end as if it were complete
    if (signals.interrupted()) throw new CliFailure('interrupted', EXIT_INTERRUPTED)
    return EXIT_OK
  } catch (e) {
    if (signals.interrupted()) throw new CliFailure('interrupted', EXIT_INTERRUPTED)
    throw e
  } finally {
    signals.dispose()
    db.close()
  }
}

async function copyToParquet (conn: DuckDBConnection, sql: string, file: string): Promise<number> {
  const body = sql.trim().replace(/;\s*$/, '')
  let count
  try {
    count = (await conn.extractStatements(body)).count
  } catch (e) {
    throw sqlFailure(e, sql)
  }
  if (count !== 1) throw new UsageError(`--parquet writes the result of one query; the SQL holds ${count} statements`)
  try {
    const r = await conn.runAndReadAll(`COPY (${body}) TO ${lit(file)} (FORMAT parquet, COMPRESSION zstd)`)
    return Number(r.getRowsJS()[0]?.[0] ?? r.rowsChanged)
  } catch (e) {
    throw sqlFailure(e, sql)
  }
}

async function streamRows (conn: DuckDBConnection, q: QueryRun, writer: OutWriter): Promise<void> {
  let result
  try {
    const statements = await conn.extractStatements(q.sql)
    if (statements.count === 0) throw new UsageError('the SQL holds no statement')
    for (let i = 0; i < statements.count - 1; i++) await (await statements.prepare(i)).run()
    const last = await statements.prepare(statements.count - 1)
    const select = q.format === 'csv' || q.format === 'json' ? singleSelect(q.sql, statements.count, last) : null
    if (select !== null) {
      const names = Array.from({ length: last.columnCount }, (_, i) => last.columnName(i))
      const types = Array.from({ length: last.columnCount }, (_, i) => last.columnType(i))
      const lines = q.format === 'csv' ? csvLinesSql(select, names.length) : jsonLinesSql(select, uniqueNames(names), types)
      // a SELECT that cannot be wrapped (`SELECT 1; -- note`) is written by JavaScript
      const prepared = lines === null ? null : await conn.prepare(lines).catch(() => null)
      if (prepared !== null) {
        if (q.format === 'csv') await writer.write(csvHeader(names))
        await streamLines(await prepared.stream(), async text => { await writer.write(text); return !writer.closed })
        return
      }
    }
    result = await last.stream()
  } catch (e) {
    if (e instanceof UsageError) throw e
    throw sqlFailure(e, q.sql)
  }
  const types = result.columnTypes()
  const shape: ResultShape = {
    names: result.columnNames(),
    uniqueNames: uniqueNames(result.columnNames()),
    types: types.map(t => t.toString()),
    typeIds: types.map(t => t.typeId),
  }
  let sink: Sink
  if (q.format === 'csv') {
    const csv = csvSink(shape)
    await writer.write(csv.header)
    sink = csv.sink
  } else {
    sink = q.format === 'json' ? jsonSink(shape) : tableSink(shape, q.maxRows, q.width)
  }
  for (;;) {
    let chunk
    try {
      chunk = await result.fetchChunk()
    } catch (e) {
      throw sqlFailure(e, q.sql)
    }
    if (chunk === null || chunk.rowCount === 0) break
    await writer.write(sink.chunk(chunk))
    if (writer.closed) return
  }
  await writer.write(sink.end())
}
