// Claiming a channel before consuming it and releasing it after (PROTOCOL.md §6.1): the
// module lets only the claim's holder acknowledge, so a second consumer is refused before
// it acknowledges anything, with a message naming the holder.
import path from 'node:path'
import { CONSUMER_NAME_MAX } from '../../formats/wire.ts'
import { writeControl } from './ack.ts'
import type { Channel } from './channel.ts'
import { ChannelError, DEFAULT_SYSTEM_PATHS, type SystemPaths } from './errors.ts'

function nameRule (name: string): string {
  return `the name must be 1..${CONSUMER_NAME_MAX} characters of A-Z a-z 0-9 . _ - (got ${JSON.stringify(name)})`
}

/**
 * Writes `claim <name>`; throws ChannelError 'claimed' naming the holder if another live
 * process holds the channel (EBUSY), 'not-a-channel' if the module is going.
 */
export function claimChannel (channel: Channel, name: string): void {
  writeControl(channel.controlPath, `claim ${name}\n`, channel.sys, nameRule(name))
}

/** Writes `release`, after the last ack: the next consumer may claim at once. */
export function releaseChannel (channel: Channel): void {
  writeControl(channel.controlPath, 'release\n', channel.sys)
}

/**
 * Claims the channel in `dir` if its module is loaded now; false if there is no channel to
 * claim (yet). Lets a consumer be refused before it touches anything of its own.
 */
export function claimChannelDir (dir: string, name: string, sys: SystemPaths = DEFAULT_SYSTEM_PATHS): boolean {
  try {
    writeControl(path.join(dir, 'control'), `claim ${name}\n`, sys, nameRule(name))
    return true
  } catch (err) {
    if (err instanceof ChannelError && err.code === 'not-a-channel') return false
    throw err
  }
}
