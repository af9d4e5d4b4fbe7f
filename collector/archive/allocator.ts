// DuckDB's allocator, the jemalloc linked into libduckdb. A COPY to Parquet allocates
// and frees its buffers for every row group. jemalloc keeps freed pages for reuse for its
// decay time, per arena, and every thread that runs a query (Node's libuv pool threads,
// one per call) gets an arena of its own.
//
// The collector's setting: one arena for all of them (narenas:1); freed pages kept for
// half a second (dirty_decay_ms:500), then returned to the system (muzzy_decay_ms:0: not
// kept as MADV_FREE pages either, which RSS still counts); and jemalloc's background thread
// returning them, so that it happens while the archive is idle too. DuckDB turns that
// thread on only for an instance opened with allocator_background_threads
// (BACKGROUND_PURGE), and off for the whole process whenever any instance closes (the
// compactor's, after each round, which purges every arena first). So each publish turns
// it on again (RESUME_PURGE_SQL). Without the thread, the pages of the last COPY stayed
// until the next one: 45-50 MiB of RSS.
//
// With no decay (dirty_decay_ms:0, the setting before), every page a COPY touched again
// was a page fault. On a VM where one costs 11 us, copying a 49 MB stage took 62k faults
// and 1.2 s, against 1.7k faults and 0.35 s with this setting (0.3 s and 0.4-1k faults
// with a second of decay, whose peaks were 5-10 MiB higher). The price is the pages kept
// while a COPY runs: its peak RSS is 20-30 MiB higher, which limiting glibc's arenas
// (bin/krelay.js) pays back. Figures: README, "Memory and archive speed".
//
// jemalloc reads DUCKDB_JE_MALLOC_CONF once, while libduckdb is loaded (it allocates
// then), so this must run before anything in the process imports @duckdb/node-api, on
// the main thread: a worker's process.env is its own copy, unseen by native code. A
// value the user set is kept.
import fs from 'node:fs'
import { isMainThread } from 'node:worker_threads'

export const DUCKDB_MALLOC_CONF = 'narenas:1,dirty_decay_ms:500,muzzy_decay_ms:0'

/** Options of every DuckDB instance of the collector: jemalloc's background thread returns freed pages (see above). */
export const BACKGROUND_PURGE = { allocator_background_threads: 'true' } as const

/** Turns that thread on again after an instance closed (see above). */
export const RESUME_PURGE_SQL = 'SET allocator_background_threads = true'

/** Sets DuckDB's allocator options (see above) unless the user did. */
export function configureDuckdbAllocator (env: NodeJS.ProcessEnv = process.env, mainThread = isMainThread): void {
  if (mainThread && env.DUCKDB_JE_MALLOC_CONF === undefined) env.DUCKDB_JE_MALLOC_CONF = DUCKDB_MALLOC_CONF
}

/** Whether libduckdb is loaded in this process already (Linux; false elsewhere): its allocator options are then fixed. */
export function duckdbLoaded (): boolean {
  if (process.platform !== 'linux') return false
  return fs.readFileSync('/proc/self/maps', 'utf8').includes('/libduckdb')
}
