// DuckDB's allocator (the jemalloc linked into libduckdb) keeps the pages a COPY freed,
// per arena, for a while (its decay), and every thread that runs a query (Node's libuv
// pool threads, one per call) has an arena of its own: each publish then left its
// working memory behind in another arena, and the collector's RSS grew by a COPY's
// worth (60-80 MiB) with each of the first few files. With no decay, freed pages go
// back to the system at once: the RSS after a publish is the RSS before it.
//
// jemalloc reads its options from DUCKDB_JE_MALLOC_CONF once, when DuckDB first
// allocates, so this must run before the first DuckDB instance of the process is
// created, on the main thread: a worker's process.env is its own copy, unseen by
// native code. A value the user set is kept.
import { isMainThread } from 'node:worker_threads'

export const DUCKDB_MALLOC_CONF = 'dirty_decay_ms:0,muzzy_decay_ms:0'

/** Makes DuckDB return the memory it frees to the system at once (see above), unless the user configured it. */
export function returnFreedMemory (env: NodeJS.ProcessEnv = process.env, mainThread = isMainThread): void {
  if (mainThread && env.DUCKDB_JE_MALLOC_CONF === undefined) env.DUCKDB_JE_MALLOC_CONF = DUCKDB_MALLOC_CONF
}
