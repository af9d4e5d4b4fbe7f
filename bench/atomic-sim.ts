// A RelaySim whose stats a collector in another process can rely on, as on the module,
// which renders stats at each read:
// - RelaySim rewrites stats in place (cheap, and safe for readers in its own process), so
//   a reader in another process can catch a half-written row ("produced 10" between 99
//   and 100) and take the channel for reloaded: here each version is written to a new
//   file and renamed over stats (tmpfs: no flush on rename).
// - RelaySim's generator closes sub-buffers without publishing stats, and even a publish
//   right after the close comes too late when this process is preempted in between (the
//   machine is shared): a reader that took a sub-buffer the stats do not show yet takes
//   the channel for reloaded (produced below what it read). Here stats showing a
//   sub-buffer as produced are published before its commit_seq is stored.
import fs from 'node:fs'
import path from 'node:path'
import { RelaySim } from '../collector/sim/relay-sim.ts'
import type { SimCpu } from '../collector/sim/sim-cpu.ts'
import { renderStats } from '../collector/sim/sim-text.ts'

export class AtomicStatsSim extends RelaySim {
  override addCpu (cpu: number): SimCpu {
    const c = super.addCpu(cpu)
    const close = c.close.bind(c)
    c.close = () => {
      if (c.openSeq !== 0) {
        const produced = c.produced
        c.produced = c.openSeq
        this.publishStats()
        c.produced = produced
      }
      close()
    }
    return c
  }

  override publishStats (): void {
    if (this.unloaded) return
    const tmp = path.join(this.dir, '.stats.tmp')
    fs.writeFileSync(tmp, renderStats([...this.cpus.values()].sort((a, b) => a.cpu - b.cpu)), 'latin1')
    fs.renameSync(tmp, path.join(this.dir, 'stats'))
  }
}
