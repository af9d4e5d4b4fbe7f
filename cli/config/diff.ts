// What differs between two configurations (the running one and the file read again at
// SIGHUP): each changed field with its values as TOML, and whether it can change live.
import { isDeepStrictEqual } from 'node:util'
import { FIELDS, valueOf, valueText, type Field } from './fields.ts'
import type { ServiceConfig } from './fields.ts'

export interface Change {
  field: Field
  /** the values as config show writes them ('128', '"always"'), 'unset' when absent */
  from: string
  to: string
}

const text = (field: Field, v: unknown): string => v === undefined ? 'unset' : valueText(field, v)

/** The fields whose values differ, in the table's order; `change.field.live` says whether SIGHUP may apply it. */
export function changes (before: ServiceConfig, after: ServiceConfig): Change[] {
  const out: Change[] = []
  for (const field of FIELDS) {
    const a = valueOf(before, field)
    const b = valueOf(after, field)
    if (!isDeepStrictEqual(a, b)) out.push({ field, from: text(field, a), to: text(field, b) })
  }
  return out
}

/** "archive.file_size_mib 128 -> 64" */
export function changeLine (c: Change): string {
  return `${c.field.path} ${c.from} -> ${c.to}`
}
