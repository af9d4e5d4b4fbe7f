// The `info` file (PROTOCOL.md §2): `key value` lines, unknown keys kept but not interpreted.
import { z } from 'zod'
import { ABI_VERSION, LEVEL_MAX, RECORD_HDR_SIZE, SUBBUF_HDR_SIZE } from './wire.ts'
import { KrelayFormatError, UnsupportedAbiError } from './errors.ts'

export interface ChannelInfo {
  abiVersion: number
  /** 16 hex digits, new at every module load; null if the module does not publish it */
  channelId: string | null
  subbufSize: number
  nSubbufs: number
  subbufHeaderSize: number
  recordHeaderSize: number
  flushIntervalMs: number
  clock: 'monotonic'
  /** add to a monotonic ns time to get UTC ns since the epoch (exact, beyond 2^53; signed as the module prints it) */
  monoToRealtimeNs: bigint
  cpus: number[]
  running: boolean
  minLevel: number
  generator: 'running' | 'idle'
  /** number of the last generator run started (§7), 0 before the first; null if not published */
  generatorRun: number | null
  sourceSched: boolean
  /** open info, stats, control and wait files hold no module reference (§1): a consumer may keep them open */
  unpinnedFiles: boolean
  /** every line as read, unknown keys included */
  keys: Map<string, string>
}

/** Splits `key value` lines; the value is everything after the first space. */
export function parseKeyValueLines (text: string, file: string): Map<string, string> {
  const keys = new Map<string, string>()
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trimEnd()
    if (line === '') continue
    const space = line.indexOf(' ')
    if (space <= 0) throw new KrelayFormatError(`${file} line ${i + 1}: expected "key value", got ${JSON.stringify(line)}`)
    const key = line.slice(0, space)
    if (keys.has(key)) throw new KrelayFormatError(`${file} line ${i + 1}: key ${key} appears twice`)
    keys.set(key, line.slice(space + 1))
  }
  return keys
}

const uint = z.string().regex(/^\d+$/, 'expected an unsigned decimal integer')
const safeUint = uint.transform(Number).pipe(z.number().max(Number.MAX_SAFE_INTEGER))
const flag = z.enum(['0', '1']).transform((v) => v === '1')

const infoSchema = z.object({
  channel_id: z.string().regex(/^[0-9a-f]{16}$/, 'expected 16 lowercase hex digits').optional(),
  subbuf_size: safeUint.pipe(z.number().min(SUBBUF_HDR_SIZE + RECORD_HDR_SIZE).max(0xffffffff)
    .refine((n) => n % 8 === 0, 'expected a multiple of 8')),
  n_subbufs: safeUint.pipe(z.number().min(1)),
  subbuf_header_size: safeUint.pipe(z.literal(SUBBUF_HDR_SIZE,
    `ABI version ${ABI_VERSION} has ${SUBBUF_HDR_SIZE}-byte sub-buffer headers`)),
  record_header_size: safeUint.pipe(z.literal(RECORD_HDR_SIZE,
    `ABI version ${ABI_VERSION} has ${RECORD_HDR_SIZE}-byte record headers`)),
  flush_interval_ms: safeUint.pipe(z.number().min(1)),
  clock: z.literal('monotonic'),
  mono_to_realtime_ns: z.string().regex(/^-?\d+$/, 'expected a decimal integer').transform(BigInt),
  cpus: z.string().regex(/^\d+( \d+)*$/, 'expected CPU numbers separated by single spaces')
    .transform((v) => v.split(' ').map(Number))
    .refine((cpus) => new Set(cpus).size === cpus.length, 'a CPU is listed twice'),
  running: flag,
  min_level: safeUint.pipe(z.number().max(LEVEL_MAX)),
  generator: z.enum(['running', 'idle']),
  generator_run: safeUint.pipe(z.number().max(0xffffffff)).optional(),
  source_sched: flag,
  unpinned_files: flag.optional(),
})

/** Throws UnsupportedAbiError unless the `abi_version` key is this collector's version. */
export function checkAbiVersion (keys: Map<string, string>): void {
  const version = keys.get('abi_version')
  if (version === undefined) throw new KrelayFormatError('info: key abi_version is missing')
  if (version !== String(ABI_VERSION)) throw new UnsupportedAbiError(version)
}

/** The channel_id line alone, cheap enough to check on every pass; null if absent. */
export function readChannelId (text: string): string | null {
  return /^channel_id (\S+)$/m.exec(text)?.[1] ?? null
}

/** Parses `info` text; the ABI version is checked before anything else. */
export function parseInfo (text: string): ChannelInfo {
  const keys = parseKeyValueLines(text, 'info')
  checkAbiVersion(keys)
  const parsed = infoSchema.safeParse(Object.fromEntries(keys))
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const key = String(issue.path[0])
    const value = keys.get(key)
    throw new KrelayFormatError(value === undefined
      ? `info: key ${key} is missing`
      : `info: key ${key}: ${issue.message} (value ${JSON.stringify(value)})`)
  }
  const v = parsed.data
  return {
    abiVersion: ABI_VERSION,
    channelId: v.channel_id ?? null,
    subbufSize: v.subbuf_size,
    nSubbufs: v.n_subbufs,
    subbufHeaderSize: v.subbuf_header_size,
    recordHeaderSize: v.record_header_size,
    flushIntervalMs: v.flush_interval_ms,
    clock: v.clock,
    monoToRealtimeNs: v.mono_to_realtime_ns,
    cpus: v.cpus,
    running: v.running,
    minLevel: v.min_level,
    generator: v.generator,
    generatorRun: v.generator_run ?? null,
    sourceSched: v.source_sched,
    unpinnedFiles: v.unpinned_files ?? false,
    keys,
  }
}
