// The writes of the control fuzzer (control-fuzz.test.ts), from a seed: random bytes of
// every length up to 4096, commands built from the §6 grammar with arguments from pools of
// boundary, huge, negative and non-numeric values, and one-byte mutations of valid
// commands. The expected answer of each write comes from formats/control.ts, not from here.
import { parseControl } from '../../../formats/control.ts'

type Rng = () => number
const int = (r: Rng, n: number): number => Math.floor(r() * n)
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)]!

const VERBS = ['ack', 'flush', 'start', 'stop', 'level', 'reset-stats', 'gen', 'gen-stop', 'source', 'claim', 'release']
const NEAR_VERBS = ['ACK', 'acks', 'ac', 'gen_stop', 'reset_stats', 'flush\0', 'claim\t', 'sourc', '', ' ']
const NUMBERS = [
  '0', '1', '2', '7', '8', '63', '255', '1000', '1000000000', '1000000001', '10000000', '10000001',
  '4294967295', '4294967296', '9223372036854775807', '18446744073709551615', '18446744073709551616',
  '99999999999999999999999999', '-1', '-9223372036854775808', '+1', '0x10', '1e3', '1.5', '٣', 'ten', '007',
]
const WORDS = ['sched', 'on', 'off', 'disk', 'warning', 'debug', 'emerg', 'WARNING', 'krelay-collect', 'a.b_c-d', 'a/b', 'x'.repeat(31), 'x'.repeat(32)]
const VALID = ['ack 0 0', 'ack 1 0', 'flush', 'start', 'level 7', 'level info', 'reset-stats', 'gen 100 0', 'gen-stop', 'source sched on', 'source sched off', 'claim fuzz', 'release']

function randomBytes (r: Rng): Buffer {
  const lengths = [0, 1, 2, 3, 126, 127, 128, 129, 4095, 4096]
  const n = r() < 0.3 ? pick(r, lengths) : r() < 0.8 ? int(r, 140) : int(r, 4097)
  const b = Buffer.alloc(n)
  for (let i = 0; i < n; i++) {
    const kind = r()
    b[i] = kind < 0.5 ? 0x20 + int(r, 95) : kind < 0.6 ? 0x20 : kind < 0.7 ? 0x0a : kind < 0.8 ? 0 : int(r, 256)
  }
  return b
}

function argument (r: Rng): string {
  const k = r()
  if (k < 0.5) return pick(r, NUMBERS)
  if (k < 0.75) return pick(r, WORDS)
  if (k < 0.9) return Array.from({ length: 1 + int(r, 25) }, () => String(int(r, 10))).join('')
  return ''
}

function grammar (r: Rng): Buffer {
  const verb = r() < 0.9 ? pick(r, VERBS) : pick(r, NEAR_VERBS)
  const nargs = r() < 0.7 ? [0, 2, 0, 0, 1, 0, 2, 0, 2, 1, 0][VERBS.indexOf(verb)] ?? int(r, 4) : int(r, 4)
  const sep = (): string => (r() < 0.92 ? ' ' : pick(r, ['  ', '\t', '', '\0', '\n']))
  let s = verb
  for (let i = 0; i < nargs; i++) s += sep() + argument(r)
  const end = r()
  if (end < 0.3) s += '\n'
  else if (end < 0.35) s += pick(r, ['\n\n', ' ', '\0', '\r\n'])
  return Buffer.from(s, 'latin1')
}

function mutated (r: Rng): Buffer {
  const b = [...Buffer.from(pick(r, VALID))]
  const at = int(r, b.length + 1)
  const k = r()
  if (k < 0.3) b[Math.min(at, b.length - 1)]! ^= 1 << int(r, 8)
  else if (k < 0.55) b.splice(at, 0, int(r, 256))
  else if (k < 0.8) b.splice(Math.min(at, b.length - 1), 1)
  else b.length = at
  return Buffer.from(b)
}

/**
 * One fuzz write. Well-formed generator runs are kept short (at most 100,000 records per
 * CPU), so that a lucky draw does not keep the emulated CPUs busy for the rest of the run.
 */
export function fuzzWrite (r: Rng): Buffer {
  for (;;) {
    const k = r()
    const w = k < 0.25 ? randomBytes(r) : k < 0.8 ? grammar(r) : mutated(r)
    const cmd = parseControl(w)
    if (cmd?.verb !== 'gen' || cmd.count <= 100_000) return w
  }
}
