// The collector's side of `krelay status`: <spool>/status.json (formats/STATUS.md), and
// whether what it says is live. A collector that was killed leaves a "running" file whose
// pid is gone, one that is stuck a file whose updated_at no longer moves: both are
// reported as stale, with the reason, never as a running collector's figures.
import fs from 'node:fs'
import path from 'node:path'
import { STATUS_FILE, STATUS_VERSION, type CollectorStatus } from '../../collector/collect/status-file.ts'

/** A file older than this is stale: the collector rewrites it about once a second. */
export const STALE_AFTER_S = 5

export type CollectorView =
  /** running: live figures; stopped: the final figures of a clean stop; stale: the last figures of a collector that is gone or stuck */
  | { file: string, state: 'running' | 'stopped' | 'stale', why?: string, age_seconds: number, status: CollectorStatus }
  /** absent: no file (no collector ever ran with this spool); unreadable: a file that is not a status file of version 1 */
  | { file: string, state: 'absent' | 'unreadable', why: string }

/** Whether `pid` is a live process (EPERM: alive, someone else's). */
export function pidAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function readCollector (spoolDir: string, now = Date.now()): CollectorView {
  const file = path.join(spoolDir, STATUS_FILE)
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return { file, state: 'absent', why: `no ${file}: no collector has run with this spool` }
    return { file, state: 'unreadable', why: `cannot read ${file}: ${(err as Error).message}` }
  }
  let status: CollectorStatus
  try {
    status = JSON.parse(text) as CollectorStatus
  } catch (err) {
    return { file, state: 'unreadable', why: `${file} is not JSON: ${(err as Error).message}` }
  }
  if (status?.version !== STATUS_VERSION || typeof status.pid !== 'number' || typeof status.updated_at !== 'string') {
    return { file, state: 'unreadable', why: `${file}: version ${JSON.stringify(status?.version)}, this krelay reads status files of version ${STATUS_VERSION}` }
  }
  const age = Math.max(0, (now - Date.parse(status.updated_at)) / 1000)
  const view = { file, age_seconds: Math.round(age * 10) / 10, status }
  if (status.state === 'stopped') return { ...view, state: 'stopped' }
  if (!pidAlive(status.pid)) return { ...view, state: 'stale', why: `pid ${status.pid} is not running: the collector was killed or crashed` }
  if (age > STALE_AFTER_S) return { ...view, state: 'stale', why: `not updated for ${age.toFixed(0)} s: the collector (pid ${status.pid}) is stuck, or cannot write its spool` }
  return { ...view, state: 'running' }
}
