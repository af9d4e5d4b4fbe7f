// Drives a RelaySim like the kernel would: the generator writes in steps, the
// flush timer runs, and control commands (acks, flush) are applied, until the
// run is written; then keeps serving control commands until stopped.
import fs from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { CollectOptions } from '../../../collector/collect/collect.ts'
import type { RelaySim } from '../../../collector/sim/relay-sim.ts'
import { tempDir } from '../../temp-dir.ts'

/** collect() on `sim` into a fresh temp archive (spool inside it), small files and segments; `extra` overrides. */
export function collectOptions (sim: RelaySim, signal: AbortSignal, extra: Partial<CollectOptions> = {}): CollectOptions {
  const out = tempDir('krelay-collect-')
  return {
    channelDir: sim.dir,
    out,
    spoolDir: path.join(out, '.spool'),
    host: 'sim',
    fsync: 'never',
    segmentBytes: 64 * 1024,
    segmentAgeMs: 60000,
    maxFileBytes: 256 * 1024,
    maxAgeSeconds: 60,
    follow: false,
    signal,
    log: () => {},
    ...extra,
  }
}

export async function driveGenerator (sim: RelaySim, count: number, perStep = 64): Promise<number> {
  const run = sim.startGen(count)
  for (let left = count; left > 0;) {
    left = sim.genStep(perStep)
    pump(sim)
    sim.timerFlush()
    await sleep(1)
  }
  sim.flush()
  return run
}

export function pump (sim: RelaySim): void {
  const errors = sim.pumpControl()
  if (errors.length > 0) throw errors[0]
}

/** Serves control commands in the background; returns a function that stops it. */
export function serveControl (sim: RelaySim): () => void {
  const timer = setInterval(() => pump(sim), 2)
  return () => clearInterval(timer)
}

/** Resolves once a collector has opened a spool segment that is not in `before`, i.e. it is reading. */
export async function collectorReading (spoolDir: string, before: string[] = []): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (fs.existsSync(spoolDir) && fs.readdirSync(spoolDir).some(n => n.endsWith('.krcap') && !before.includes(n))) return
    await sleep(5)
  }
  throw new Error(`the collector did not start reading (no new segment in ${spoolDir})`)
}

export function segmentNames (spoolDir: string): string[] {
  return fs.existsSync(spoolDir) ? fs.readdirSync(spoolDir) : []
}
