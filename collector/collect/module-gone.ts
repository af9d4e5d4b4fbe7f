// Waiting for an unloading module to be gone. A consumer can tell that krelay is going
// as soon as rmmod starts (its files refuse to open, `control` answers ENODEV), but the
// module's exit function flushes every CPU's open sub-buffer only after that: reading the
// mappings to the end at once misses what that last flush completes (PROTOCOL.md §8).
// Once /sys/module/krelay is gone, or shows a module being loaded again, the exit has run.
import fs from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Resolves once the module at `sysModule` (e.g. /sys/module/krelay) is no longer
 * `going`; false if it still was after `timeoutMs` or when `signal` aborted.
 */
export async function waitModuleGone (sysModule: string, timeoutMs: number, signal?: AbortSignal, pollMs = 20): Promise<boolean> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    let state: string
    try {
      state = fs.readFileSync(`${sysModule}/initstate`, 'latin1').trim()
    } catch {
      return true
    }
    if (state !== 'going') return true
    if (signal?.aborted || performance.now() >= deadline) return false
    await sleep(pollMs, undefined, { signal }).catch(() => undefined)
  }
}
