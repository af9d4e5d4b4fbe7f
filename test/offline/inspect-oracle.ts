// What krelay inspect should say about the fixture's two archives (archive-fixture.ts: a v1
// archive of host `sim` and its v2 copy of host `0042`), counted by DuckDB straight from
// the Parquet files, for test/offline/inspect.test.ts and test/cli/inspect.test.ts.
import fs from 'node:fs'
import path from 'node:path'
import type { DuckDBConnection } from '@duckdb/node-api'
import { lit } from '../../collector/archive/sql.ts'
import type { Inspection } from '../../offline/inspect.ts'

export class InspectOracle {
  constructor (private readonly conn: DuckDBConnection, readonly v1: string, readonly v2: string) {}

  /** Every record of both archives as (host, ns, cpu, level, type). */
  records (): string {
    const glob = (d: string): string => `read_parquet(${lit(d + '/records/**/*.parquet')}, hive_partitioning = true, hive_types = {'host': 'VARCHAR'})`
    return `(SELECT host, epoch_ns(ts) AS ns, cpu, level, type FROM ${glob(this.v1)}
      UNION ALL SELECT host, epoch_us(ts) * 1000 + ts_nanos, cpu, level, type FROM ${glob(this.v2)})`
  }

  async rows (sql: string): Promise<unknown[][]> {
    return (await this.conn.runAndReadAll(sql)).getRowsJS()
  }

  /** The figures of the records `where` selects. */
  async figures (where = ''): Promise<Omit<Inspection, 'hosts' | 'files' | 'losses'>> {
    const R = `(SELECT * FROM ${this.records()} ${where})`
    const [[n, first, last]] = await this.rows(`SELECT count(*), min(ns)::VARCHAR, max(ns)::VARCHAR FROM ${R}`) as [[bigint, string | null, string | null]]
    const busiest = await this.rows(`SELECT (ns // 1000000000 * 1000000000) AS s, count(*) AS c FROM ${R} GROUP BY s ORDER BY c DESC, s LIMIT 1`)
    const span = first === null ? 0 : Number(BigInt(last!) - BigInt(first)) / 1e9
    const counts = async (col: string, order: string): Promise<unknown[][]> => await this.rows(`SELECT ${col}, count(*)::INTEGER AS c FROM ${R} GROUP BY ${col} ORDER BY ${order}`)
    return {
      records: Number(n),
      first,
      last,
      perCpu: (await counts('cpu', 'cpu')).map(([cpu, records]) => ({ cpu: cpu as number, records: records as number })),
      perLevel: (await counts('level', 'list_position([\'emerg\',\'alert\',\'crit\',\'err\',\'warning\',\'notice\',\'info\',\'debug\'], level)'))
        .map(([level, records]) => ({ level: level as string, records: records as number })),
      perType: (await counts('type', 'c DESC, type')).map(([type, records]) => ({ type: type as string, records: records as number })),
      averagePerSecond: Number(n) === 0 ? 0 : Number(n) / span,
      busiestSecond: busiest.length === 0 ? null : { start: String(busiest[0]![0]), records: Number(busiest[0]![1]) },
    }
  }

  async losses (): Promise<Inspection['losses']> {
    const L = `(SELECT reason, count FROM read_parquet(${lit(this.v1 + '/losses/**/*.parquet')})
      UNION ALL SELECT reason, count FROM read_parquet(${lit(this.v2 + '/losses/**/*.parquet')}))`
    return (await this.rows(`SELECT reason, count(*)::INTEGER, sum(count)::INTEGER FROM ${L} GROUP BY reason ORDER BY reason`))
      .map(([reason, rows, count]) => ({ reason: reason as string, rows: rows as number, count: count as number }))
  }

  files (): Inspection['files'] {
    return (['records', 'losses'] as const).map(dataset => {
      const [a, b] = [parquetFiles(this.v1, dataset), parquetFiles(this.v2, dataset)]
      return { dataset, files: a.length + b.length, bytes: bytes([...a, ...b]), versions: { 1: a.length, 2: b.length } }
    })
  }

  async hosts (): Promise<Inspection['hosts']> {
    const perHost = await this.rows(`SELECT host, count(*)::INTEGER, min(ns)::VARCHAR, max(ns)::VARCHAR FROM ${this.records()} GROUP BY host ORDER BY host`)
    return perHost.map(([host, records, first, last]) => {
      const dir = host === 'sim' ? this.v1 : this.v2
      const [r, l] = [parquetFiles(dir, 'records'), parquetFiles(dir, 'losses')]
      return { host: host as string, recordFiles: r.length, lossFiles: l.length, bytes: bytes([...r, ...l]), records: records as number, first: first as string, last: last as string }
    })
  }
}

/** The *.parquet files under dir/dataset, as find(1) lists them. */
export function parquetFiles (dir: string, dataset: string): string[] {
  return (fs.readdirSync(path.join(dir, dataset), { recursive: true }) as string[]).filter(n => n.endsWith('.parquet')).map(n => path.join(dir, dataset, n))
}

function bytes (files: string[]): number {
  return files.reduce((s, f) => s + fs.statSync(f).size, 0)
}
