// What a running collector changes without a restart (a SIGHUP reload: cli/collect/reload.ts),
// and where each setting takes effect. None is read per record: the spool's limits and
// fsync policy at each append and reader pass (SpoolWriter.configure), the spool budget at
// each reader pass (CaptureContext.budgetBytes), the archive's file limits at its next row
// (the worker applies a `settings` message at once, between two rows), the live queue for
// subscribers that connect from then on, and the module's level filter by a `level N`
// write to its control file (PROTOCOL.md §6), now and at every attach (a module loaded
// again starts at its default level).
import { LEVEL_MAX, LEVEL_NAMES } from '../../formats/wire.ts'
import { writeControl } from '../source/ack.ts'
import type { Channel } from '../source/channel.ts'
import type { FsyncPolicy, SpoolWriter } from '../spool/spool-writer.ts'
import type { ToWorker } from './messages.ts'

export interface LiveSettings {
  /** the module's level filter, 0..7; undefined: leave the module's */
  level: number | undefined
  fsync: FsyncPolicy
  segmentBytes: number
  segmentAgeMs: number
  /** Infinity: no budget */
  spoolBudgetBytes: number
  maxFileBytes: number
  maxAgeSeconds: number
  /** undefined: the live server's default */
  liveQueueBytes: number | undefined
}

export interface CollectorHandle {
  /** the settings in force */
  readonly settings: Readonly<LiveSettings>
  /**
   * Applies what differs from the settings in force; returns one line per change made,
   * e.g. "archive.file_size_mib 128 -> 64" (the configuration file's names and units).
   * Throws a RangeError naming the field, before changing anything, for a value out of range.
   */
  apply (next: LiveSettings): string[]
}

const MiB = 1024 * 1024

function num (v: number): string {
  return Number.isFinite(v) ? String(Number(v.toFixed(6))) : 'none'
}

function showLevel (v: number | undefined): string {
  return v === undefined ? 'unset' : `${v} (${LEVEL_NAMES[v]})`
}

/** Each setting's dotted path in the configuration file, and its value in the file's unit. */
const FIELDS: ReadonlyArray<{ key: keyof LiveSettings, path: string, show: (v: never) => string }> = [
  { key: 'level', path: 'level', show: showLevel },
  { key: 'fsync', path: 'spool.fsync', show: (v: FsyncPolicy) => String(v) },
  { key: 'segmentBytes', path: 'spool.segment_size_mib', show: (v: number) => num(v / MiB) },
  { key: 'segmentAgeMs', path: 'spool.segment_age_seconds', show: (v: number) => num(v / 1000) },
  { key: 'spoolBudgetBytes', path: 'spool.budget_mib', show: (v: number) => num(v / MiB) },
  { key: 'maxFileBytes', path: 'archive.file_size_mib', show: (v: number) => num(v / MiB) },
  { key: 'maxAgeSeconds', path: 'archive.file_age_seconds', show: (v: number) => num(v) },
  { key: 'liveQueueBytes', path: 'live.queue_mib', show: (v: number | undefined) => v === undefined ? 'default' : num(v / MiB) },
]

/** The lines "path old -> new" of the settings that differ between `a` and `b`, in FIELDS order. */
export function settingsChanges (a: LiveSettings, b: LiveSettings): string[] {
  const lines: string[] = []
  for (const f of FIELDS) {
    if (a[f.key] === b[f.key]) continue
    const show = f.show as (v: unknown) => string
    let line = `${f.path} ${show(a[f.key])} -> ${show(b[f.key])}`
    if (f.key === 'level' && b.level === undefined) line += ': the module keeps its level'
    if (f.key === 'liveQueueBytes') line += ' (for subscribers that connect from now on)'
    lines.push(line)
  }
  return lines
}

/** Throws a RangeError naming the first setting out of range. */
export function checkSettings (s: LiveSettings): void {
  const bad = (path: string, v: unknown, allowed: string): never => {
    throw new RangeError(`${path}: ${JSON.stringify(v)} is not allowed: ${allowed}`)
  }
  if (s.level !== undefined && !(Number.isInteger(s.level) && s.level >= 0 && s.level <= LEVEL_MAX)) bad('level', s.level, `0..${LEVEL_MAX}`)
  if (s.fsync !== 'always' && s.fsync !== 'never' && !(typeof s.fsync === 'number' && s.fsync >= 0)) bad('spool.fsync', s.fsync, '"always", "never" or milliseconds')
  const positive: Array<[keyof LiveSettings, string]> = [
    ['segmentBytes', 'spool.segment_size_mib'], ['segmentAgeMs', 'spool.segment_age_seconds'], ['spoolBudgetBytes', 'spool.budget_mib'],
    ['maxFileBytes', 'archive.file_size_mib'], ['maxAgeSeconds', 'archive.file_age_seconds'],
  ]
  for (const [key, path] of positive) {
    const v = s[key] as number
    if (!(v > 0)) bad(path, v, 'a number above 0')
  }
  if (s.liveQueueBytes !== undefined && !(s.liveQueueBytes > 0)) bad('live.queue_mib', s.liveQueueBytes, 'a number above 0')
}

/** What the settings act on in a running collector (collect.ts). */
export interface SettingsTargets {
  spool: SpoolWriter
  /** capture's context: its budget is read at every reader pass */
  capture: { budgetBytes: number }
  /** tells the archive worker */
  tell: (m: ToWorker) => void
  /** a live server runs: without one, liveQueueBytes stays undefined (nothing to apply it to) */
  live: boolean
  log: (line: string) => void
}

/** The collector's handle: the settings in force, applied where each takes effect. */
export class LiveControl implements CollectorHandle {
  private current: LiveSettings
  /** the channel capture reads now, if any: where `level` goes */
  private channel: Channel | undefined

  constructor (initial: LiveSettings, private readonly targets: SettingsTargets) {
    checkSettings(initial)
    this.current = { ...initial, liveQueueBytes: targets.live ? initial.liveQueueBytes : undefined }
  }

  get settings (): Readonly<LiveSettings> {
    return this.current
  }

  apply (next: LiveSettings): string[] {
    checkSettings(next)
    if (!this.targets.live) next = { ...next, liveQueueBytes: undefined }
    const was = this.current
    const lines = settingsChanges(was, next)
    if (lines.length === 0) return lines
    this.current = { ...next }
    const { spool, capture, tell } = this.targets
    if (was.fsync !== next.fsync || was.segmentBytes !== next.segmentBytes || was.segmentAgeMs !== next.segmentAgeMs) {
      spool.configure({ fsync: next.fsync, segmentBytes: next.segmentBytes, segmentAgeMs: next.segmentAgeMs })
    }
    capture.budgetBytes = next.spoolBudgetBytes
    if (was.maxFileBytes !== next.maxFileBytes || was.maxAgeSeconds !== next.maxAgeSeconds || was.liveQueueBytes !== next.liveQueueBytes) {
      tell({ kind: 'settings', maxFileBytes: next.maxFileBytes, maxAgeSeconds: next.maxAgeSeconds, liveQueueBytes: next.liveQueueBytes })
    }
    if (was.level !== next.level && next.level !== undefined && this.channel !== undefined) this.writeLevel(this.channel)
    return lines
  }

  /** Capture attached `channel` (a module load): the level filter goes to it. */
  attached (channel: Channel): void {
    this.channel = channel
    if (this.current.level !== undefined) this.writeLevel(channel)
  }

  /** The channel ended: a level changed meanwhile goes to the next one at its attach. */
  detached (): void {
    this.channel = undefined
  }

  /**
   * Writes `level N` to the channel's control file. A failure is logged, not thrown: the
   * collector goes on (records keep flowing at the module's level), and the next attach
   * writes it again.
   */
  private writeLevel (channel: Channel): void {
    const level = this.current.level!
    try {
      writeControl(channel.controlPath, `level ${level}\n`, channel.sys)
      this.targets.log(`the module's level filter is ${showLevel(level)}: records above it are filtered (its stats count them)`)
    } catch (err) {
      this.targets.log(`could not set the module's level filter to ${showLevel(level)} (${(err as Error).message}): it is written again when the module is loaded`)
    }
  }
}
