// Who holds a channel's claim (PROTOCOL.md §6.1), in words for the user who was refused.
import fs from 'node:fs'
import path from 'node:path'
import { parseKeyValueLines } from '../../formats/info.ts'
import { ChannelError } from './errors.ts'

/** The names krelay's own consumers claim with. */
export const CONSUMER_COLLECT = 'krelay-collect'
export const CONSUMER_TAIL = 'krelay-tail'

/** The holder as `info` shows it: pid 0 when none lives (or it is not visible from here). */
export interface Holder { pid: number, name: string }

export function readHolder (dir: string): Holder {
  try {
    const keys = parseKeyValueLines(fs.readFileSync(path.join(dir, 'info'), 'latin1'), 'info')
    const pid = Number(keys.get('consumer_pid') ?? '0')
    return { pid: Number.isSafeInteger(pid) ? pid : 0, name: keys.get('consumer_name') ?? '-' }
  } catch {
    return { pid: 0, name: '-' }
  }
}

export function holderMessage ({ pid, name }: Holder): string {
  if (pid === 0) {
    // a live holder outside the reader's pid namespace shows pid 0 but its name; none
    // at all: it went (or released) between the refusal and reading info
    return name === '-'
      ? 'another process consumed this channel a moment ago (info names none now); try again'
      : `a process named ${name} in another pid namespace consumes this channel`
  }
  if (name === CONSUMER_COLLECT) return `krelay collect (pid ${pid}) consumes this channel; watch it with krelay tail`
  if (name === CONSUMER_TAIL) return `krelay tail (pid ${pid}) consumes this channel`
  // `-`: a consumer that acknowledged without saying claim
  return name === '-' ? `process ${pid} consumes this channel` : `process ${pid} (${name}) consumes this channel`
}

/** The module refused a command with EBUSY: another live process holds the claim of the channel in `dir`. */
export function explainClaimed (dir: string, cause?: unknown): ChannelError {
  return new ChannelError('claimed', holderMessage(readHolder(dir)), { cause })
}
