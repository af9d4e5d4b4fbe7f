// Archive files for the `krelay tail --archive` tests, written by the collector's own
// RecordsWriter, and published into a followed directory the way the collector publishes
// (a hidden `.partial` name, then an atomic rename).
import fs from 'node:fs'
import path from 'node:path'
import { openArchive } from '../../../collector/archive/index.ts'
import { blankRow, setMono } from '../../collector/archive/helpers.ts'

export const CHANNEL = '9f3c2a71d04b5e86'
/** 2025-11-25T01:00:00Z minus three days of uptime */
export const OFFSET = 1764032400_000000000n - 3n * 86_400_000_000_000n
export const UPTIME = 3n * 86_400_000_000_000n

/**
 * Writes records `from` .. `from + n - 1` of `host` into the archive `out` (a scratch one,
 * not the followed directory): record i at UPTIME + i ms + `shift` ns, on cpu i % 2, with
 * level i % 8, a text message `msg i` or (every 5th) 4 binary bytes. Returns the file.
 */
export async function writeRecords (out: string, host: string, from: number, n: number, shift: bigint): Promise<string> {
  const archive = await openArchive({ out, host })
  archive.setChannel({ channelId: CHANNEL, monoToRealtimeNs: OFFSET })
  const row = blankRow()
  for (let i = from; i < from + n; i++) {
    setMono(row, UPTIME + BigInt(i) * 1_000_000n + shift)
    row.cpu = i % 2
    row.seq = i + 1
    row.level = i % 8
    row.comm = `comm${i % 3}`
    if (i % 5 === 4) {
      row.kind = 2
      row.type = 0xff01
      row.msg = null
      row.data = new Uint8Array([i & 255, 1, 2, 3])
    } else {
      row.kind = 1
      row.type = 0
      row.msg = `msg ${i}`
      row.data = null
    }
    archive.records.append(row)
  }
  const published = await archive.close()
  const file = published.find(p => p.dataset === 'records')
  if (file === undefined) throw new Error('no records file written')
  return path.resolve(file.path)
}

/** Publishes `file` (under `scratch`) into `dir` at the same relative path: `.partial`, then rename. */
export function publish (scratch: string, file: string, dir: string): void {
  const rel = path.relative(scratch, file)
  const target = path.join(dir, rel)
  fs.mkdirSync(path.dirname(target), { recursive: true })
  const partial = path.join(path.dirname(target), `.${path.basename(target)}.partial`)
  fs.copyFileSync(file, partial)
  fs.renameSync(partial, target)
}
