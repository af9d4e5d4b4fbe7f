// A RelaySim whose stats a collector in another process can rely on, as on the module,
// which renders stats at each read:
// - RelaySim rewrites stats in place (cheap, and safe for readers in its own process), so
//   a reader in another process can catch a half-written row ("produced 10" between 99
//   and 100) and take the channel for reloaded: here each version is written to a new
//   file and renamed over stats (tmpfs: no flush on rename).
// - RelaySim's generator closes sub-buffers without publishing stats, so a reader that
//   took a sub-buffer the stats do not show yet takes the channel for reloaded (produced
//   below what it read): here stats are published as soon as a sub-buffer closes.
import fs from 'node:fs'
import path from 'node:path'
import { RelaySim } from '../collector/sim/relay-sim.ts'
import { renderStats } from '../collector/sim/sim-text.ts'

export class AtomicStatsSim extends RelaySim {
  override genStep (perCpu: number): number {
    let remaining = 0
    for (let i = 0; i < perCpu; i++) {
      const before = this.producedTotal()
      remaining = super.genStep(1)
      if (this.producedTotal() !== before) this.publishStats()
      if (remaining === 0) break
    }
    return remaining
  }

  override publishStats (): void {
    if (this.unloaded) return
    const tmp = path.join(this.dir, '.stats.tmp')
    fs.writeFileSync(tmp, renderStats([...this.cpus.values()].sort((a, b) => a.cpu - b.cpu)), 'latin1')
    fs.renameSync(tmp, path.join(this.dir, 'stats'))
  }

  private producedTotal (): number {
    let n = 0
    for (const c of this.cpus.values()) n += c.produced
    return n
  }
}
