// The configuration file's zod schema, made from the field table: strict tables (an unknown
// key is refused, with the nearest known key as a hint), each value read by its field's rule
// from its TOML type. Its output is flat: dotted path -> value, for the fields the file sets.
import { z } from 'zod'
import { quote, typedValue } from '../options.ts'
import { FIELDS, SECTIONS, splitPath, type Field } from './fields.ts'

function fieldSchema (field: Field) {
  return z.unknown().transform((v, ctx): unknown => {
    const out = typedValue(field.rule, v)
    if (out === undefined) {
      ctx.issues.push({ code: 'custom', message: `${field.path}: ${quote(v)} is not allowed: ${field.rule.allowed}`, input: v })
      return z.NEVER
    }
    return out
  }).optional()
}

function tableOf (section: string) {
  const shape: Record<string, ReturnType<typeof fieldSchema>> = {}
  for (const field of FIELDS) {
    const [s, key] = splitPath(field.path)
    if (s === section) shape[key] = fieldSchema(field)
  }
  return z.strictObject(shape)
}

const top: Record<string, z.ZodType> = { ...tableOf('').shape }
for (const s of SECTIONS) top[s] = tableOf(s).optional()
export const fileSchema = z.strictObject(top)

/** The first problem of a parsed file, as "<dotted.path>: ..." (the caller puts the file's name first). */
export function describeIssue (issue: z.core.$ZodIssue, doc: unknown): string {
  const where = issue.path.map(String).join('.')
  if (issue.code === 'unrecognized_keys') {
    const key = [where, issue.keys[0]!].filter(s => s !== '').join('.')
    const hint = nearestKey(key)
    return `${key}: unknown key${hint === undefined ? '' : `; did you mean ${hint}?`}`
  }
  if (issue.code === 'custom') return issue.message
  // a section that is not a table: `archive = 5`
  let input = doc
  for (const k of issue.path) input = (input as Record<PropertyKey, unknown> | undefined)?.[k]
  return `${where}: ${quote(input)} is not allowed: a table ([${where}])`
}

const KNOWN = [...FIELDS.map(x => x.path), ...SECTIONS]

/** The known key nearest to `key`: the same name in another table, else the closest spelling. */
export function nearestKey (key: string): string | undefined {
  const leaf = splitPath(key)[1]
  const moved = FIELDS.find(x => splitPath(x.path)[1] === leaf || x.path === leaf)
  if (moved !== undefined) return moved.path
  // a key cut short: archive.file_size -> archive.file_size_mib
  const longer = KNOWN.filter(k => k.startsWith(key)).sort((a, b) => a.length - b.length)[0]
  if (longer !== undefined) return longer
  return nearest(key, KNOWN)
}

/** The candidate nearest to `word` in spelling, if near enough to be meant. */
export function nearest (word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  for (const k of candidates) {
    const d = distance(word, k)
    if (d < bestDistance) { best = k; bestDistance = d }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined
}

/** Levenshtein distance. */
function distance (a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = row
  }
  return prev[b.length]!
}
