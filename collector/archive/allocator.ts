// DuckDB's allocator (the jemalloc linked into libduckdb) keeps the pages a COPY freed,
// per arena, for a while (its decay), and every thread that runs a query (Node's libuv
// pool threads, one per call) has an arena of its own: each publish then left its
// working memory behind in another arena, and the collector's RSS grew by a COPY's
// worth (60-80 MiB) with each of the first few files. With no decay, freed pages go
// back to the system at once: the RSS after a publish is the RSS before it.
//
// The price is a page fault for every page a COPY touches again: a stage of a million
// rows took 176k minor faults, against 10k with one arena and a second's decay
// (narenas:1,dirty_decay_ms:1000,muzzy_decay_ms:0,background_thread:true). At 1.2 us a
// fault (the machine of issue 9's earlier figures) that is about 0.2 s per million rows;
// at 11 us (the VM of its later ones) the collector archived 0.34 M records/s instead of
// 0.78 M/s (bench/collect.ts). But with that decay its RSS in bench/memory.ts rose to
// 250-268 MiB in the first 4 minutes (one run, compaction no longer sorting), against
// 197-225 without (389 and 393 MiB at peak when compaction still sorted), and the
// collector is held to 256 MiB. So no decay stays the default, and an operator with the
// memory to spare sets the other in the environment (README, "Configuration").
//
// jemalloc reads DUCKDB_JE_MALLOC_CONF once, while libduckdb is loaded (it allocates
// then), so this must run before anything in the process imports @duckdb/node-api, on
// the main thread: a worker's process.env is its own copy, unseen by native code. A
// value the user set is kept.
import fs from 'node:fs'
import { isMainThread } from 'node:worker_threads'

export const DUCKDB_MALLOC_CONF = 'dirty_decay_ms:0,muzzy_decay_ms:0'

/** Sets DuckDB's allocator options (see above) unless the user did. */
export function configureDuckdbAllocator (env: NodeJS.ProcessEnv = process.env, mainThread = isMainThread): void {
  if (mainThread && env.DUCKDB_JE_MALLOC_CONF === undefined) env.DUCKDB_JE_MALLOC_CONF = DUCKDB_MALLOC_CONF
}

/** Whether libduckdb is loaded in this process already (Linux; false elsewhere): its allocator options are then fixed. */
export function duckdbLoaded (): boolean {
  if (process.platform !== 'linux') return false
  return fs.readFileSync('/proc/self/maps', 'utf8').includes('/libduckdb')
}
