// The control commands of PROTOCOL.md §6, parsed by formats/control.ts as the module
// parses them, applied to the simulator. Errors carry the errno the module would return
// in `code`.
import { parseControl } from '../../formats/control.ts'
import type { RelaySim } from './relay-sim.ts'

function einval (command: string): Error {
  return Object.assign(new Error(`${JSON.stringify(command)}: EINVAL`), { code: 'EINVAL' })
}

export function applyCommand (sim: RelaySim, line: string): void {
  const cmd = parseControl(line)
  if (cmd === undefined) throw einval(line)
  switch (cmd.verb) {
    case 'ack':
      if (!sim.cpus.has(cmd.cpu)) throw einval(line)
      return sim.ack(cmd.cpu, Number(cmd.seq))
    case 'flush':
      sim.advance(1) // time passes between a write and the next command
      return sim.flush()
    case 'start':
    case 'stop':
      sim.running = cmd.verb === 'start'
      return sim.writeInfo()
    case 'level':
      sim.minLevel = cmd.level
      return sim.writeInfo()
    case 'reset-stats':
      for (const c of sim.cpus.values()) c.written = c.dropped = c.tooBig = c.filtered = 0
      return sim.publishStats()
    case 'gen':
      sim.startGen(cmd.count)
      return
    case 'gen-stop':
      return sim.stopGen()
    case 'source':
      sim.sourceSched = cmd.on
      return sim.writeInfo()
    case 'claim': // recorded, not enforced: see RelaySim.consumer
      sim.consumer = { pid: 0, name: cmd.name }
      return sim.writeInfo()
    case 'release':
      sim.consumer = null
      return sim.writeInfo()
  }
}
