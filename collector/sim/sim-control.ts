// The control commands of PROTOCOL.md §6, applied to the simulator. Errors carry the errno
// the module would return in `code`.
import { CONSUMER_NAME_MAX, LEVEL_MAX, LEVEL_NAMES } from '../../formats/wire.ts'
import type { RelaySim } from './relay-sim.ts'

function einval (command: string): Error {
  return Object.assign(new Error(`${JSON.stringify(command)}: EINVAL`), { code: 'EINVAL' })
}

function number (text: string | undefined, command: string): number {
  if (text === undefined || !/^\d+$/.test(text)) throw einval(command)
  return Number(text)
}

const CONSUMER_NAME = new RegExp(`^[A-Za-z0-9._-]{1,${CONSUMER_NAME_MAX}}$`)

export function applyCommand (sim: RelaySim, line: string): void {
  const command = line.endsWith('\n') ? line.slice(0, -1) : line
  if (command.length > 127) throw einval(command)
  const [verb, ...args] = command.split(' ')
  switch (verb) {
    case 'ack':
      if (args.length !== 2) throw einval(command)
      if (!sim.cpus.has(number(args[0], command))) throw einval(command)
      return sim.ack(number(args[0], command), number(args[1], command))
    case 'flush':
      sim.advance(1) // time passes between a write and the next command
      return sim.flush()
    case 'start':
    case 'stop':
      sim.running = verb === 'start'
      return sim.writeInfo()
    case 'level': {
      const arg = args[0] ?? ''
      const named = (LEVEL_NAMES as readonly string[]).indexOf(arg)
      const level = named >= 0 ? named : number(arg, command)
      if (args.length !== 1 || level > LEVEL_MAX) throw einval(command)
      sim.minLevel = level
      return sim.writeInfo()
    }
    case 'reset-stats':
      for (const c of sim.cpus.values()) c.written = c.dropped = c.tooBig = c.filtered = 0
      return sim.publishStats()
    case 'gen': {
      const count = number(args[0], command)
      const rate = number(args[1], command)
      if (args.length !== 2 || count < 1 || count > 1e9 || rate > 1e7) throw einval(command)
      sim.startGen(count)
      return
    }
    case 'gen-stop':
      return sim.stopGen()
    case 'source':
      if (args.length !== 2 || args[0] !== 'sched' || (args[1] !== 'on' && args[1] !== 'off')) throw einval(command)
      sim.sourceSched = args[1] === 'on'
      return sim.writeInfo()
    case 'claim': // recorded, not enforced: see RelaySim.consumer
      if (args.length !== 1 || !CONSUMER_NAME.test(args[0]!)) throw einval(command)
      sim.consumer = { pid: 0, name: args[0]! }
      return sim.writeInfo()
    case 'release':
      if (args.length !== 0) throw einval(command)
      sim.consumer = null
      return sim.writeInfo()
    default:
      throw einval(command)
  }
}
