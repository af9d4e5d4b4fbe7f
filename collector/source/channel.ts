// A channel directory (PROTOCOL.md §1): its info, stats and file names, opened with
// every failure explained and the ABI checked before anything else.
import fs from 'node:fs'
import path from 'node:path'
import { parseInfo, readChannelId, type ChannelInfo } from '../../formats/info.ts'
import { parseStats, type ChannelStats } from '../../formats/stats.ts'
import { ChannelError, DEFAULT_SYSTEM_PATHS, errnoOf, explainFileError, explainMissingDirectory, type SystemPaths } from './errors.ts'
import { HeldStats } from './held-stats.ts'
import { mapFileReadOnly } from './map-file.ts'

export const DEFAULT_CHANNEL_DIR = '/sys/kernel/debug/krelay'

export interface Channel {
  dir: string
  /** info as read when the channel was opened */
  info: ChannelInfo
  sys: SystemPaths
  controlPath: string
  /** the file a consumer blocks on between passes (PROTOCOL.md §9); absent in modules before it */
  waitPath: string
  cpuPath(cpu: number): string
  /**
   * This channel's stats: throws ChannelError 'not-a-channel' once the module is unloaded,
   * or loaded again (a new channel_id).
   */
  readStats(): ChannelStats
  /** channel_id from info as it is now; throws ChannelError 'not-a-channel' once unloaded. */
  readChannelId(): string | null
  /** Maps cpu<N> with length subbuf_size * n_subbufs. */
  mapCpu(cpu: number): Buffer
  /** Closes a descriptor kept open for stats; a later readStats() opens it again. */
  close(): void
}

function readText (file: string, sys: SystemPaths): string {
  try {
    return fs.readFileSync(file, 'latin1')
  } catch (err) {
    throw explainFileError(file, errnoOf(err), 'cannot read', sys, err)
  }
}

/** Throws ChannelError 'not-a-channel' unless `infoFile` names channel `expected`: a module loaded again has a new id. */
export function checkChannelId (infoFile: string, expected: string | null, sys: SystemPaths): void {
  const id = readChannelId(readText(infoFile, sys))
  if (id !== expected) throw new ChannelError('not-a-channel', `${infoFile} names channel ${id}, not ${expected}: the module was loaded again`)
}

export function openChannel (dir = DEFAULT_CHANNEL_DIR, sys: Partial<SystemPaths> = {}): Channel {
  const paths = { ...DEFAULT_SYSTEM_PATHS, ...sys }
  try {
    if (!fs.statSync(dir).isDirectory()) throw new ChannelError('no-directory', `${dir} is not a directory`)
  } catch (err) {
    if (err instanceof ChannelError) throw err
    if (errnoOf(err) === 'ENOENT') throw explainMissingDirectory(dir, paths)
    throw explainFileError(dir, errnoOf(err), 'cannot open', paths, err)
  }
  const infoFile = path.join(dir, 'info')
  const statsFile = path.join(dir, 'stats')
  const info = parseInfo(readText(infoFile, paths))
  const checkChannel = (): void => checkChannelId(infoFile, info.channelId, paths)
  // a module whose open files pin it: info and stats opened for each read, the id checked first
  const readStatsByPath = (): string => {
    checkChannel()
    return readText(statsFile, paths)
  }
  const held = info.unpinnedFiles ? new HeldStats(statsFile, paths, checkChannel) : null
  const channel: Channel = {
    dir,
    info,
    sys: paths,
    controlPath: path.join(dir, 'control'),
    waitPath: path.join(dir, 'wait'),
    cpuPath: (cpu) => path.join(dir, `cpu${cpu}`),
    readStats: () => parseStats(held !== null ? held.read() : readStatsByPath()),
    readChannelId: () => readChannelId(readText(infoFile, paths)),
    mapCpu: (cpu) => mapFileReadOnly(channel.cpuPath(cpu), info.subbufSize * info.nSubbufs, paths),
    close: () => held?.close(),
  }
  for (const cpu of info.cpus) {
    if (!fs.existsSync(channel.cpuPath(cpu))) {
      throw new ChannelError('not-a-channel', `info lists cpu ${cpu} but ${channel.cpuPath(cpu)} does not exist`)
    }
  }
  return channel
}
