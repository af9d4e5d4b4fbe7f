// PROTOCOL.md §6 as code: what one write() to `control` means. kmod/control.c is the
// module's parser; the simulator applies commands through this one (sim-control.ts), and
// the guest's control fuzzer (test/vm/guest/control-fuzz.test.ts) holds the module to it
// write by write. A write this parser refuses fails with EINVAL whatever the channel's
// state; one it accepts may still fail with the state-dependent errors of CONTROL_ERRORS.
import { CONSUMER_NAME_MAX, LEVEL_MAX, LEVEL_NAMES } from './wire.ts'

/** Bytes in one command, the trailing newline included. */
export const CONTROL_MAX = 127
export const GEN_COUNT_MAX = 1_000_000_000
export const GEN_RATE_MAX = 10_000_000
const CPU_MAX = 0xffff_ffffn
const U64_MAX = 0xffff_ffff_ffff_ffffn

export type ControlCommand =
  | { verb: 'ack', cpu: number, seq: bigint }
  | { verb: 'claim', name: string }
  | { verb: 'level', level: number }
  | { verb: 'gen', count: number, rate: number }
  | { verb: 'source', source: 'sched', on: boolean }
  | { verb: 'flush' | 'start' | 'stop' | 'reset-stats' | 'gen-stop' | 'release' }

export type ControlVerb = ControlCommand['verb']

/** Arguments each verb takes (a write with another number of words is malformed). */
const ARGS: Record<ControlVerb, number> = {
  ack: 2, flush: 0, start: 0, stop: 0, level: 1, 'reset-stats': 0, gen: 2, 'gen-stop': 0, source: 2, claim: 1, release: 0,
}

/**
 * The errors a well-formed command can still meet (§6's table): they depend on the
 * channel's state (which CPUs exist, what was produced, who holds the claim, whether a
 * generator runs, the kernel's tracepoints), not on the bytes. After unload began, every
 * command fails with ENODEV.
 */
export const CONTROL_ERRORS: Readonly<Record<ControlVerb, readonly string[]>> = {
  ack: ['EINVAL', 'EBUSY'],
  claim: ['EBUSY'],
  release: ['EBUSY'],
  gen: ['EBUSY'],
  source: ['ENOENT', 'ENOMEM'],
  flush: [],
  start: [],
  stop: [],
  level: [],
  'reset-stats': [],
  'gen-stop': [],
}

const NAME = new RegExp(`^[A-Za-z0-9._-]{1,${CONSUMER_NAME_MAX}}$`)

/** Decimal digits only, at most `max` (the module refuses "+5", "0x5", " 5" and overflow). */
function decimal (word: string, max: bigint): bigint | undefined {
  if (!/^[0-9]+$/.test(word)) return undefined
  const n = BigInt(word)
  return n <= max ? n : undefined
}

/**
 * Parses one write (its bytes, or a string of byte values as latin1 keeps them): the
 * command, or undefined for a write the module refuses with EINVAL. One trailing newline
 * is allowed; words are separated by single spaces; no NUL byte.
 */
export function parseControl (write: Uint8Array | string): ControlCommand | undefined {
  let line = typeof write === 'string' ? write : Buffer.from(write.buffer, write.byteOffset, write.byteLength).toString('latin1')
  if (line.length === 0 || line.length > CONTROL_MAX) return undefined
  if (line.endsWith('\n')) line = line.slice(0, -1)
  if (line.includes('\0')) return undefined
  const words = line.split(' ')
  if (words.some(w => w === '')) return undefined
  const verb = words[0] as ControlVerb
  if (!Object.hasOwn(ARGS, verb) || words.length !== ARGS[verb] + 1) return undefined
  const [a = '', b = ''] = words.slice(1)
  switch (verb) {
    case 'ack': {
      const cpu = decimal(a, CPU_MAX)
      const seq = decimal(b, U64_MAX)
      return cpu === undefined || seq === undefined ? undefined : { verb, cpu: Number(cpu), seq }
    }
    case 'claim':
      return NAME.test(a) ? { verb, name: a } : undefined
    case 'level': {
      const named = (LEVEL_NAMES as readonly string[]).indexOf(a)
      const level = named >= 0 ? BigInt(named) : decimal(a, BigInt(LEVEL_MAX))
      return level === undefined ? undefined : { verb, level: Number(level) }
    }
    case 'gen': {
      const count = decimal(a, BigInt(GEN_COUNT_MAX))
      const rate = decimal(b, BigInt(GEN_RATE_MAX))
      return count === undefined || count === 0n || rate === undefined ? undefined : { verb, count: Number(count), rate: Number(rate) }
    }
    case 'source':
      return a === 'sched' && (b === 'on' || b === 'off') ? { verb, source: a, on: b === 'on' } : undefined
    default:
      return { verb }
  }
}
