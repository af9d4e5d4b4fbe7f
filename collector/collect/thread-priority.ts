// The archive worker runs at a lower CPU priority than capture, so that during a burst
// capture (the main thread) gets the CPU first and the archive catches up from the spool
// afterwards. On Linux a nice value belongs to a thread, not to the process, and a thread
// starts with the nice value of the thread that creates it. The worker lowers its own first
// thing, so what it runs itself (decoding, the merge, staging) runs at that priority. DuckDB's
// COPYs do not: @duckdb/node-api runs each query on a thread of libuv's pool, which keeps
// capture's nice value (below), and the archive's instance has no threads of its own
// (stager.ts). Running them on the worker instead, their tasks executed there one at a
// time, was measured: bench/collect.ts fell from 0.54x to 0.47x (the COPY no longer ran
// beside the worker's own work), and capture-vm gained nothing beyond its run-to-run spread
// (65k-199k records/s with one busy CPU, either way). So they stay on the pool. Elsewhere
// nothing changes.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/** The archive's nice value: CFS then gives a busy capture thread about 98% of a shared CPU. */
export const ARCHIVE_NICE = 19

/**
 * Sets the calling thread's nice value to `nice` (only lowering is allowed without
 * privileges). Returns the thread's id, or null where threads have no nice value of their
 * own (not Linux). Throws what setpriority() refused.
 */
export function lowerThreadPriority (nice: number): number | null {
  if (process.platform !== 'linux') return null
  // "<pid>/task/<tid>"
  const tid = Number(path.basename(fs.readlinkSync('/proc/thread-self')))
  if (!Number.isInteger(tid) || tid <= 0) throw new Error('/proc/thread-self does not name a thread')
  if (os.getPriority(tid) < nice) os.setPriority(tid, nice)
  return tid
}

/**
 * libuv's thread pool is created at its first use, by the thread that uses it first, and
 * its threads inherit that thread's nice value. The channel's `wait` read (waiter.ts) runs
 * there, so the pool must start from the capture thread, before the archive worker lowers
 * its own priority and could be the first to use it.
 */
export async function startThreadPool (): Promise<void> {
  await fs.promises.access(os.tmpdir()).catch(() => undefined)
}
