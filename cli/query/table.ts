// krelay query's table: a box like DuckDB's CLI, column names and types on top, numbers
// right-aligned, the first and last rows of a result (sinks.ts keeps only those); columns
// shrink (values cut with …) and then drop off the right (a … column) to fit `width`.

export interface TableColumn { name: string, type: string, numeric: boolean }

const ELLIPSIS = '…'
/** a column is cut down to this width (or its own, if narrower) before columns are dropped */
const MIN_WIDTH = 12

/** A value as one line of a cell: control characters escaped. */
export function cellText (s: string | null): string {
  if (s === null) return 'NULL'
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x1f\x7f]/g, c => c === '\n' ? '\\n' : c === '\t' ? '\\t' : c === '\r' ? '\\r' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

/** The rows a table shows: the first ones, the last ones, and how many the result had (the rest are left out between them). */
export interface TableRows {
  head: string[][]
  tail: string[][]
  total: number
}

/** Every row shown. */
export function allRows (rows: string[][]): TableRows {
  return { head: rows, tail: [], total: rows.length }
}

function fit (s: string, w: number): string {
  const chars = [...s]
  return chars.length <= w ? s : chars.slice(0, Math.max(0, w - 1)).join('') + ELLIPSIS
}

const len = (s: string): number => [...s].length

/** The table as lines, at most `width` columns wide (Infinity: no limit). */
export function renderTable (columns: readonly TableColumn[], t: TableRows, width: number): string[] {
  const rows = [...t.head, ...t.tail]
  const split = t.head.length
  const skipped = t.total - rows.length
  let cols = columns.map((c, i) => {
    const w = Math.max(len(c.name), len(c.type), 1, ...rows.map(r => len(r[i]!)))
    return { ...c, i, w, min: Math.min(w, MIN_WIDTH) }
  })
  const total = (cs: { w: number }[]): number => cs.reduce((s, c) => s + c.w + 3, 1)
  // shrink the widest column that can still shrink until the table fits
  while (total(cols) > width) {
    const widest = cols.filter(c => c.w > c.min).reduce<typeof cols[number] | undefined>((a, b) => a === undefined || b.w > a.w ? b : a, undefined)
    if (widest === undefined) break
    widest.w--
  }
  // then drop columns from the right, leaving room for the … column (4 wide)
  const cut = total(cols) > width
  if (cut) while (cols.length > 1 && total(cols) + 4 > width) cols = cols.slice(0, -1)
  const shown = cut ? [...cols, { name: ELLIPSIS, type: '', numeric: false, i: -1, w: 1, min: 1 }] : cols
  const line = (l: string, m: string, r: string): string => l + shown.map(c => '─'.repeat(c.w + 2)).join(m) + r
  const center = (s: string, w: number): string => {
    const f = fit(s, w)
    const pad = w - len(f)
    return ' '.repeat(Math.floor(pad / 2)) + f + ' '.repeat(pad - Math.floor(pad / 2))
  }
  const cell = (c: typeof shown[number], s: string): string => {
    const f = fit(s, c.w)
    const pad = ' '.repeat(c.w - len(f))
    return c.numeric ? pad + f : f + pad
  }
  const row = (cells: string[]): string => '│ ' + cells.join(' │ ') + ' │'
  const out = [line('┌', '┬', '┐')]
  out.push(row(shown.map(c => center(c.name, c.w))))
  out.push(row(shown.map(c => center(c.type, c.w))))
  out.push(line('├', '┼', '┤'))
  for (let n = 0; n <= rows.length; n++) {
    if (n === split && skipped > 0) out.push(row(shown.map(c => center('·', c.w))))
    const r = rows[n]
    if (r !== undefined) out.push(row(shown.map(c => c.i < 0 ? ELLIPSIS : cell(c, r[c.i]!))))
  }
  out.push(line('└', '┴', '┘'))
  const rowWord = `${t.total} ${t.total === 1 ? 'row' : 'rows'}`
  const colWord = `${columns.length} ${columns.length === 1 ? 'column' : 'columns'}`
  out.push(`${rowWord}${skipped > 0 ? ` (${rows.length} shown)` : ''}, ${colWord}${cut ? ` (${cols.length} shown)` : ''}`)
  return out
}
