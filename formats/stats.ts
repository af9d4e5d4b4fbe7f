// The `stats` file (PROTOCOL.md §5): a header line of column names, then one row per CPU.
// Columns are found by name; unknown ones are ignored.
import { KrelayFormatError } from './errors.ts'
import { TWO_POW_32, u64ToSafeNumber } from './u64.ts'

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
const WATERMARK = COLUMNS.indexOf('watermark_ns')

// The capture thread reads stats at every pass, and with many CPUs the rows are most of a
// pass's work: a row is read cell by cell in place (no split, no BigInt), and the header's
// column positions are kept for as long as the header stays the same.
let header = ''
let width = 0
/** per header column: its index in COLUMNS, -1 if unknown */
let columnOf = new Int8Array(0)
/** the cell read last, as u32 halves */
let cellHi = 0
let cellLo = 0

/** Finds the columns of a header line; throws naming a missing one. */
function readHeader (line: string): void {
  if (line === header) return
  const names = line.split(' ')
  const of = new Int8Array(names.length).fill(-1)
  COLUMNS.forEach((column, c) => {
    const index = names.indexOf(column)
    if (index < 0) throw new KrelayFormatError(`stats line 1: column ${column} is missing (columns: ${line})`)
    of[index] = c
  })
  header = line
  width = names.length
  columnOf = of
}

/** Reads the decimal u64 text[start, stop) into cellHi and cellLo; false if it is not one. */
function readU64 (text: string, start: number, stop: number): boolean {
  if (stop === start) return false
  let hi = 0
  let lo = 0
  for (let i = start; i < stop; i++) {
    const d = text.charCodeAt(i) - 48
    if (d < 0 || d > 9) return false
    lo = lo * 10 + d
    const carry = Math.floor(lo / TWO_POW_32)
    lo -= carry * TWO_POW_32
    hi = hi * 10 + carry
    if (hi >= TWO_POW_32) return false
  }
  cellHi = hi
  cellLo = lo
  return true
}

function newRow (): CpuStats {
  return { cpu: 0, online: false, written: 0, dropped: 0, tooBig: 0, filtered: 0, produced: 0, consumed: 0, watermarkHi: 0, watermarkLo: 0 }
}

/** Sets column `c` (an index in COLUMNS) of `row` from cellHi and cellLo; false if the value is 2^53 or more. */
function setColumn (row: CpuStats, c: number): boolean {
  if (c === WATERMARK) {
    row.watermarkHi = cellHi
    row.watermarkLo = cellLo
    return true
  }
  const value = u64ToSafeNumber(cellHi, cellLo)
  if (value < 0) return false
  switch (COLUMNS[c]) {
    case 'cpu': row.cpu = value; break
    case 'online': row.online = value !== 0; break
    case 'written': row.written = value; break
    case 'dropped': row.dropped = value; break
    case 'too_big': row.tooBig = value; break
    case 'filtered': row.filtered = value; break
    case 'produced': row.produced = value; break
    case 'consumed': row.consumed = value; break
  }
  return true
}

/** Reads one row, text[start, stop), the file's line `lineNo` (counting the lines that are not empty). */
function readRow (text: string, start: number, stop: number, lineNo: number): CpuStats {
  let cells = 1
  for (let i = start; i < stop; i++) if (text.charCodeAt(i) === 32) cells++
  if (cells !== width) {
    throw new KrelayFormatError(`stats line ${lineNo}: ${cells} values for ${width} columns: ${JSON.stringify(text.slice(start, stop))}`)
  }
  const row = newRow()
  for (let at = start, cell = 0; cell < width; cell++) {
    const space = text.indexOf(' ', at)
    const end = space < 0 || space > stop ? stop : space
    const c = columnOf[cell]!
    if (c >= 0 && !readU64(text, at, end)) {
      throw new KrelayFormatError(`stats line ${lineNo}: column ${COLUMNS[c]}: ${JSON.stringify(text.slice(at, end))} is not a u64`)
    }
    if (c >= 0 && !setColumn(row, c)) {
      throw new KrelayFormatError(`stats line ${lineNo}: column ${COLUMNS[c]}: ${BigInt(text.slice(at, end))} is 2^53 or more`)
    }
    at = end + 1
  }
  return row
}

export function parseStats (text: string): ChannelStats {
  const cpus: CpuStats[] = []
  const byCpu = new Map<number, CpuStats>()
  let lineNo = 0
  for (let start = 0; start < text.length;) {
    const newline = text.indexOf('\n', start)
    const stop = newline < 0 ? text.length : newline
    if (stop > start) {
      lineNo++
      if (lineNo === 1) {
        readHeader(text.slice(start, stop))
      } else {
        const row = readRow(text, start, stop, lineNo)
        if (byCpu.has(row.cpu)) throw new KrelayFormatError(`stats line ${lineNo}: cpu ${row.cpu} appears twice`)
        cpus.push(row)
        byCpu.set(row.cpu, row)
      }
    }
    start = stop + 1
  }
  if (lineNo === 0) throw new KrelayFormatError('stats: empty, expected a header line of column names')
  return { cpus, byCpu }
}
