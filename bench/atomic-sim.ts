// A RelaySim whose stats file a collector in another process reads whole: RelaySim
// rewrites stats in place (cheap, and safe for readers in its own process), so a reader
// in another process can catch a half-written row ("produced 10" between 99 and 100) and
// take the channel for reloaded. The module renders stats at each read; here each version
// is written to a new file and renamed over stats (tmpfs: no flush on rename).
import fs from 'node:fs'
import path from 'node:path'
import { RelaySim } from '../collector/sim/relay-sim.ts'
import { renderStats } from '../collector/sim/sim-text.ts'

export class AtomicStatsSim extends RelaySim {
  override publishStats (): void {
    if (this.unloaded) return
    const tmp = path.join(this.dir, '.stats.tmp')
    fs.writeFileSync(tmp, renderStats([...this.cpus.values()].sort((a, b) => a.cpu - b.cpu)), 'latin1')
    fs.renameSync(tmp, path.join(this.dir, 'stats'))
  }
}
