// krelay query DIR... SQL: DuckDB SQL over the views `records` and `losses` of one or many
// archives (offline/archive-db.ts); the work is in query/run.ts, loaded when the command runs.
import type { Command } from 'commander'
import { z } from 'zod'
import { addWindowOptions, archiveDirs, archiveFilter, windowSchema } from './archive-options.ts'
import { commanderOutput, UsageError } from './errors.ts'
import { integer, parseOptions, pathOption } from './options.ts'

export const DEFAULT_MAX_ROWS = 40

export const querySchema = z.object({
  csv: z.boolean().default(false),
  json: z.boolean().default(false),
  parquet: pathOption('--parquet').optional(),
  maxRows: integer('--max-rows', 1, 1e7).optional(),
  ...windowSchema,
})

/** The table's width: the terminal's, else $COLUMNS, else no limit. */
export function tableWidth (out: NodeJS.WriteStream, env: NodeJS.ProcessEnv): number {
  if (out.isTTY === true && out.columns > 0) return out.columns
  const n = Number(env.COLUMNS)
  return Number.isInteger(n) && n > 0 ? n : Infinity
}

export function registerQuery (program: Command): void {
  const cmd = program.command('query')
    .configureOutput(commanderOutput('krelay query'))
    .description('run DuckDB SQL over the views records and losses of one or more archives (krelay collect --out)')
    .usage('[options] DIR... SQL')
    .argument('<dir-and-sql...>', 'archive directories, then the SQL (quoted)')
    .option('--csv', 'CSV with a header line, as DuckDB\'s COPY writes it')
    .option('--json', 'one JSON object per row (cli/README.md says how each type is written)')
    .option('--parquet <file>', 'write the result to a Parquet file (zstd) instead')
    .option('--max-rows <n>', `the table: rows shown at most, the first and last half (default ${DEFAULT_MAX_ROWS}); --csv and --json print every row`)
  addWindowOptions(cmd)
    .action(async (args: string[], raw: Record<string, unknown>) => {
      const opts = parseOptions(querySchema, raw)
      if (args.length < 2) throw new UsageError('give one or more archive directories, then the SQL, e.g. krelay query /var/lib/krelay "SELECT count(*) FROM records"')
      const formats = [opts.csv && '--csv', opts.json && '--json', opts.parquet !== undefined && '--parquet'].filter(f => f !== false)
      if (formats.length > 1) throw new UsageError(`${formats.join(' and ')} exclude each other: give one output format`)
      if (opts.maxRows !== undefined && formats.length > 0) throw new UsageError(`--max-rows is for the table; ${formats[0]!} writes every row`)
      const sql = args.at(-1)!
      if (sql.trim() === '') throw new UsageError('the SQL is empty')
      const dirs = archiveDirs(args.slice(0, -1))
      const filter = archiveFilter(opts)
      const { runQuery } = await import('./query/run.ts')
      process.exitCode = await runQuery({
        dirs,
        sql,
        filter,
        format: opts.csv ? 'csv' : opts.json ? 'json' : opts.parquet !== undefined ? 'parquet' : 'table',
        parquet: opts.parquet,
        maxRows: opts.maxRows ?? DEFAULT_MAX_ROWS,
        width: tableWidth(process.stdout, process.env),
      })
    })
}
