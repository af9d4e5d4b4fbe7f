// The `stats` file (PROTOCOL.md §5): a header line of column names, then one row per CPU.
// Columns are found by name; unknown ones are ignored.
import { KrelayFormatError } from './errors.ts'

export interface CpuStats {
  cpu: number
  online: boolean
  written: number
  dropped: number
  tooBig: number
  filtered: number
  /** seq of the last complete sub-buffer, 0 if none */
  produced: number
  /** highest seq acknowledged, 0 if none */
  consumed: number
  /** W(cpu) in monotonic ns, as u32 halves */
  watermarkHi: number
  watermarkLo: number
}

export interface ChannelStats {
  /** rows in file order */
  cpus: CpuStats[]
  byCpu: Map<number, CpuStats>
}

const COLUMNS = ['cpu', 'online', 'written', 'dropped', 'too_big', 'filtered', 'produced', 'consumed', 'watermark_ns'] as const
type Column = typeof COLUMNS[number]
const U64_LIMIT = 1n << 64n

export function parseStats (text: string): ChannelStats {
  const lines = text.split('\n').filter((line) => line !== '')
  if (lines.length === 0) throw new KrelayFormatError('stats: empty, expected a header line of column names')
  const names = lines[0]!.split(' ')
  const at = {} as Record<Column, number>
  for (const column of COLUMNS) {
    const index = names.indexOf(column)
    if (index < 0) throw new KrelayFormatError(`stats line 1: column ${column} is missing (columns: ${lines[0]})`)
    at[column] = index
  }
  const cpus: CpuStats[] = []
  const byCpu = new Map<number, CpuStats>()
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i]!.split(' ')
    if (cells.length !== names.length) {
      throw new KrelayFormatError(`stats line ${i + 1}: ${cells.length} values for ${names.length} columns: ${JSON.stringify(lines[i])}`)
    }
    const u64 = (column: Column): bigint => {
      const cell = cells[at[column]]!
      if (!/^\d+$/.test(cell) || BigInt(cell) >= U64_LIMIT) {
        throw new KrelayFormatError(`stats line ${i + 1}: column ${column}: ${JSON.stringify(cell)} is not a u64`)
      }
      return BigInt(cell)
    }
    const safe = (column: Column): number => {
      const value = u64(column)
      if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new KrelayFormatError(`stats line ${i + 1}: column ${column}: ${value} is 2^53 or more`)
      }
      return Number(value)
    }
    const watermark = u64('watermark_ns')
    const row: CpuStats = {
      cpu: safe('cpu'),
      online: safe('online') !== 0,
      written: safe('written'),
      dropped: safe('dropped'),
      tooBig: safe('too_big'),
      filtered: safe('filtered'),
      produced: safe('produced'),
      consumed: safe('consumed'),
      watermarkHi: Number(watermark >> 32n),
      watermarkLo: Number(watermark & 0xffffffffn),
    }
    if (byCpu.has(row.cpu)) throw new KrelayFormatError(`stats line ${i + 1}: cpu ${row.cpu} appears twice`)
    cpus.push(row)
    byCpu.set(row.cpu, row)
  }
  return { cpus, byCpu }
}
