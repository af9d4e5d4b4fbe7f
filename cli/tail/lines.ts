// Stand-in (replaced at merge by the real line format): one line per record, loss and skip.
import type { LossRow } from '../../collector/archive/types.ts'
import { recordSeq } from '../../formats/record.ts'
import { recordText } from './json.ts'

export interface ChannelInfo { readonly channelId: string, readonly monoToRealtimeNs: bigint }
export type TimeMode = 'utc' | 'local' | 'mono'
export interface LineOptions { readonly time: TimeMode, readonly color: boolean }

export function recordLine (view: DataView, off: number, cpu: number, _ch: ChannelInfo, _opts: LineOptions): string {
  return `${cpu} ${recordSeq(view, off)} ${recordText(view, off)}`
}

export function lossLine (row: LossRow, _ch: ChannelInfo, _opts: LineOptions): string {
  return `-- ${row.count} records lost on cpu ${row.cpu}: ${row.reason} --`
}

export function skippedLine (count: number, _opts: LineOptions): string {
  return `-- ${count} records skipped: this terminal could not keep up --`
}
