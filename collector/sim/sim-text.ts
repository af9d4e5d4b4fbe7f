// The simulator's `info` and `stats` text, as PROTOCOL.md §2 and §5 lay them out.
import { ABI_VERSION, RECORD_HDR_SIZE, SUBBUF_HDR_SIZE } from '../../formats/wire.ts'
import { u64ToDecimal } from '../../formats/u64.ts'
import type { SimCpu } from './sim-cpu.ts'

export interface InfoState {
  channelId: string
  subbufSize: number
  nSubbufs: number
  flushIntervalMs: number
  monoToRealtimeNs: bigint
  cpus: number[]
  running: boolean
  minLevel: number
  generatorRunning: boolean
  sourceSched: boolean
  consumer: { pid: number, name: string } | null
  /** replace or add keys, e.g. { abi_version: '2' } */
  overrides: Record<string, string>
}

export function renderInfo (s: InfoState): string {
  // no unpinned_files (PROTOCOL.md §1): info and stats are replaced whole (sim-files.ts), so
  // a descriptor kept open would go on reading the file it was opened on
  const keys: Record<string, string> = {
    abi_version: String(ABI_VERSION),
    channel_id: s.channelId,
    subbuf_size: String(s.subbufSize),
    n_subbufs: String(s.nSubbufs),
    subbuf_header_size: String(SUBBUF_HDR_SIZE),
    record_header_size: String(RECORD_HDR_SIZE),
    flush_interval_ms: String(s.flushIntervalMs),
    clock: 'monotonic',
    mono_to_realtime_ns: s.monoToRealtimeNs.toString(),
    cpus: s.cpus.join(' '),
    running: s.running ? '1' : '0',
    min_level: String(s.minLevel),
    generator: s.generatorRunning ? 'running' : 'idle',
    source_sched: s.sourceSched ? '1' : '0',
    consumer_pid: String(s.consumer?.pid ?? 0),
    consumer_name: s.consumer?.name ?? '-',
    ...s.overrides,
  }
  return Object.entries(keys).map(([key, value]) => `${key} ${value}\n`).join('')
}

export function renderStats (cpus: Iterable<SimCpu>): string {
  let text = 'cpu online written dropped too_big filtered produced consumed watermark_ns\n'
  for (const c of cpus) {
    text += `${c.cpu} ${c.online ? 1 : 0} ${c.written} ${c.dropped} ${c.tooBig} ${c.filtered} ` +
      `${c.produced} ${c.consumed} ${u64ToDecimal(c.watermarkHi, c.watermarkLo)}\n`
  }
  return text
}
