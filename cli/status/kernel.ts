// The kernel's side of `krelay status`: the channel's info and per-CPU stats files
// (PROTOCOL.md §2, §5), read once. No mapping, no claim: it works beside a collector.
import { openChannel } from '../../collector/source/channel.ts'
import { ChannelError } from '../../collector/source/errors.ts'
import { LEVEL_NAMES } from '../../formats/wire.ts'

export interface KernelCpu {
  cpu: number
  online: boolean
  written: number
  dropped: number
  too_big: number
  filtered: number
  produced: number
  consumed: number
  /** complete sub-buffers not acknowledged yet: produced - consumed */
  backlog_subbufs: number
}

export type KernelStatus =
  | {
    channel_dir: string
    state: 'loaded'
    channel_id: string | null
    subbuf_size: number
    n_subbufs: number
    flush_interval_ms: number
    /** the module's level filter: records above it are counted as filtered */
    level: string
    generator: 'running' | 'idle'
    cpus: KernelCpu[]
  }
  /** `absent`: the module is not loaded (or debugfs not mounted); `unreadable`: there, but its files could not be read */
  | { channel_dir: string, state: 'absent' | 'unreadable', error: string }

const ABSENT = new Set(['module-not-loaded', 'debugfs-not-mounted', 'no-directory', 'not-a-channel'])

export function readKernel (channelDir: string): KernelStatus {
  try {
    const channel = openChannel(channelDir)
    let stats
    try {
      stats = channel.readStats()
    } finally {
      channel.close()
    }
    const { info } = channel
    return {
      channel_dir: channelDir,
      state: 'loaded',
      channel_id: info.channelId,
      subbuf_size: info.subbufSize,
      n_subbufs: info.nSubbufs,
      flush_interval_ms: info.flushIntervalMs,
      level: LEVEL_NAMES[info.minLevel] ?? String(info.minLevel),
      generator: info.generator,
      cpus: stats.cpus.map(c => ({
        cpu: c.cpu,
        online: c.online,
        written: c.written,
        dropped: c.dropped,
        too_big: c.tooBig,
        filtered: c.filtered,
        produced: c.produced,
        consumed: c.consumed,
        backlog_subbufs: Math.max(0, c.produced - c.consumed),
      })),
    }
  } catch (err) {
    const absent = err instanceof ChannelError && ABSENT.has(err.code)
    return { channel_dir: channelDir, state: absent ? 'absent' : 'unreadable', error: (err as Error).message }
  }
}
