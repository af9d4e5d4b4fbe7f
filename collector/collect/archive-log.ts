// The archive worker's log lines for what it archives: one per file published (path,
// rows, bytes) and, for loss rows, what they count per CPU and reason, summed over at
// most LOSS_LINE_MS so that a CPU dropping for minutes costs a line every few seconds,
// not one per sub-buffer.
import fs from 'node:fs'
import path from 'node:path'
import type { LossRow, Published } from '../archive/index.ts'

export const LOSS_LINE_MS = 5000

/** "published /var/lib/krelay/records/host=web-1/.../x.parquet: 7823 rows, 104993 bytes" */
export function publishLine (out: string, f: Published): string {
  const file = path.resolve(out, f.path)
  let bytes = ''
  try {
    bytes = `, ${fs.statSync(file).size} bytes`
  } catch {
    // gone already (a test removing the archive): the line says what is known
  }
  return `published ${file}: ${f.rows} ${f.dataset === 'losses' ? 'loss row' : 'row'}${f.rows === 1 ? '' : 's'}${bytes}`
}

/** Loss rows appended to the archive, per CPU and reason, until the next line. */
export class LossTally {
  private readonly counts = new Map<string, { cpu: number, reason: string, rows: number, records: number }>()
  private last = -Infinity

  constructor (private readonly now: () => number = () => performance.now()) {}

  add (row: LossRow): void {
    const key = `${row.cpu} ${row.reason}`
    let c = this.counts.get(key)
    if (c === undefined) this.counts.set(key, c = { cpu: row.cpu, reason: row.reason, rows: 0, records: 0 })
    c.rows++
    c.records += row.count
  }

  /** The line for what was added since the last one, if there is any and (unless `now`) LOSS_LINE_MS passed. */
  take (now = false): string | undefined {
    if (this.counts.size === 0) return undefined
    const t = this.now()
    if (!now && t - this.last < LOSS_LINE_MS) return undefined
    this.last = t
    const parts = [...this.counts.values()].sort((a, b) => a.cpu - b.cpu || a.reason.localeCompare(b.reason))
      .map(c => `cpu ${c.cpu} ${c.reason} ${c.records} record${c.records === 1 ? '' : 's'} (${c.rows} row${c.rows === 1 ? '' : 's'})`)
    this.counts.clear()
    return `loss rows archived: ${parts.join(', ')}`
  }
}
