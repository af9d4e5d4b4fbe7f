// The whole collector (collector/collect) over a simulator already filled with records:
// it is stopped as soon as it reads (a capture segment exists), and its shutdown path
// takes everything there is. Shared by bench/collect.ts and bench/compact.ts.
import fs from 'node:fs'
import path from 'node:path'
import { collect, type CollectOptions, type CollectSummary } from '../collector/collect/collect.ts'
import type { RelaySim } from '../collector/sim/relay-sim.ts'

type Settings = Omit<CollectOptions, 'channelDir' | 'out' | 'spoolDir' | 'signal'>

/** Collects `sim` into `out` (spool `out/.spool`) with `settings`; the pump runs until it returns. */
export async function collectSim (sim: RelaySim, out: string, settings: Settings): Promise<CollectSummary> {
  const spool = path.join(out, '.spool')
  const stop = new AbortController()
  const pump = setInterval(() => {
    sim.pumpControl()
    if (!stop.signal.aborted && fs.existsSync(spool) && fs.readdirSync(spool).some(f => f.endsWith('.krcap'))) stop.abort()
  }, 1)
  try {
    return await collect({ ...settings, channelDir: sim.dir, out, spoolDir: spool, signal: stop.signal })
  } finally {
    clearInterval(pump)
  }
}
