// The DuckDB peer of bench/collect.ts: DuckDB run as a user runs it,
// in a process of its own.
//
// In the benchmark's own process the peer would not be DuckDB as a user has it. jemalloc,
// linked into libduckdb, reads its options once per process, and krelay sets them for the
// collector (collector/archive/allocator.ts: freed pages go back to the system at once):
// a COPY there pays a page fault for every page it touches again. The baseline COPY of
// bench/collect.ts took 210k faults and 2.5 s so, against 49-108k faults and 1.1-1.4 s
// with DuckDB's own settings, on a machine where a fault costs 11 us. So the peer runs
// here, in a child process, with DuckDB's own allocator settings (DUCKDB_JE_MALLOC_CONF
// removed from its environment).
//
//   runPeer(job): spawns this file; it runs job.setup (untimed), job.count (a query whose
//   first value is returned, untimed), then job.timed (timed: wall and CPU time of every
//   thread), and prints the result as JSON.
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { cpuMs } from './cpu-time.ts'

export interface PeerJob {
  /** statements run first, untimed */
  setup: string[]
  /** a query whose first column of its first row is returned as `count` (untimed) */
  count?: string
  /** the statements timed, in order */
  timed: string[]
}

export interface PeerResult {
  ms: number
  cpu: number
  count: number | null
}

/** Runs `job` in a DuckDB of its own process (see above). */
export function runPeer (job: PeerJob): PeerResult {
  const { DUCKDB_JE_MALLOC_CONF: _, ...env } = process.env
  const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    input: JSON.stringify(job),
    env,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  return JSON.parse(out) as PeerResult
}

async function main (): Promise<void> {
  const chunks: Buffer[] = []
  for await (const c of process.stdin) chunks.push(c as Buffer)
  const job = JSON.parse(Buffer.concat(chunks).toString('utf8')) as PeerJob
  // loaded here only: libduckdb sets up its allocator for the whole process when it loads,
  // and the benchmark's collector must set its options first
  const { DuckDBInstance } = await import('@duckdb/node-api')
  const instance = await DuckDBInstance.create(':memory:')
  const conn = await instance.connect()
  try {
    for (const sql of job.setup) await conn.run(sql)
    const count = job.count === undefined ? null : Number((await conn.runAndReadAll(job.count)).getRows()[0]![0])
    const t0 = performance.now()
    const cpu0 = cpuMs()
    for (const sql of job.timed) await conn.run(sql)
    const result: PeerResult = { ms: performance.now() - t0, cpu: cpuMs() - cpu0, count }
    process.stdout.write(JSON.stringify(result))
  } finally {
    conn.closeSync()
    instance.closeSync()
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
