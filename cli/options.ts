// Option values from commander (strings) validated with zod: every error names the
// option, what it allows and what it got, e.g.
//   --fsync must be always, never or a number of milliseconds, got "sometimes"
import { z } from 'zod'
import { checkHost } from '../collector/archive/paths.ts'
import { UsageError } from './errors.ts'

const quote = (v: unknown): string => JSON.stringify(v) ?? String(v)

/** A string option whose value `parse` turns into T, or refuses with undefined. */
export function optionValue<T> (flag: string, allowed: string, parse: (s: string) => T | undefined) {
  return z.string().transform((s, ctx): T => {
    const v = parse(s)
    if (v === undefined) {
      ctx.issues.push({ code: 'custom', message: `${flag} must be ${allowed}, got ${quote(s)}`, input: s })
      return z.NEVER
    }
    return v
  })
}

const DECIMAL = /^(?:\d+\.?\d*|\.\d+)$/
const INTEGER = /^\d+$/

/** The mode of the collector's files: octal, no x bits, nothing for others (file-mode.ts). */
export const fileModeOption = optionValue('--file-mode', 'an octal mode such as 0640 or 0600, with no x bits and nothing for others', s => {
  if (!/^0?[0-7]{3}$/.test(s)) return undefined
  const mode = parseInt(s, 8)
  return (mode & 0o117) === 0 ? mode : undefined
})

/** A number > 0 (fractions allowed), at most `max`. */
export function positiveNumber (flag: string, unit: string, max = Number.MAX_SAFE_INTEGER) {
  return optionValue(flag, `a positive number of ${unit}`, s => {
    if (!DECIMAL.test(s)) return undefined
    const n = Number(s)
    return n > 0 && n <= max ? n : undefined
  })
}

/** An integer in min..max. */
export function integer (flag: string, min: number, max: number, what = `an integer from ${min} to ${max}`) {
  return optionValue(flag, what, s => {
    if (!INTEGER.test(s)) return undefined
    const n = Number(s)
    return n >= min && n <= max ? n : undefined
  })
}

/** One of a fixed set of words. */
export function oneOf<const T extends string> (flag: string, values: readonly T[]) {
  const allowed = values.length === 1 ? values[0]! : `${values.slice(0, -1).join(', ')} or ${values.at(-1)!}`
  return optionValue(flag, allowed, s => (values as readonly string[]).includes(s) ? s as T : undefined)
}

export type Fsync = 'always' | 'never' | number

export const fsyncOption = optionValue<Fsync>('--fsync', 'always, never or a number of milliseconds', s => {
  if (s === 'always' || s === 'never') return s
  if (INTEGER.test(s) && Number(s) <= 86_400_000) return Number(s)
  return undefined
})

const HOST_RULE = '1-253 characters of A-Z a-z 0-9 . _ - starting with a letter or digit'

/** A host name that is safe as the archive's `host=` partition. */
export function hostOption (flag = '--host') {
  return optionValue(flag, HOST_RULE, s => {
    try { return checkHost(s) } catch { return undefined }
  })
}

export function isValidHost (s: string): boolean {
  try { checkHost(s); return true } catch { return false }
}

/** `name` if it can be the `host=` partition; else a UsageError asking for --host. `whose` says where the name came from. */
export function defaultHostPartition (name: string, whose: string): string {
  if (!isValidHost(name)) throw new UsageError(`${whose} host name ${quote(name)} cannot be the host= partition (${HOST_RULE}): pass --host NAME`)
  return name
}

/** A non-empty path. */
export function pathOption (flag: string) {
  return optionValue(flag, 'a path', s => s.trim() === '' || s.includes('\0') ? undefined : s)
}

/** Parses commander's option object; the first problem becomes a UsageError. */
export function parseOptions<S extends z.ZodType> (schema: S, raw: unknown): z.output<S> {
  const r = schema.safeParse(raw)
  if (!r.success) {
    const issue = r.error.issues[0]!
    throw new UsageError(issue.code === 'custom' ? issue.message : `${issue.path.join('.') || 'options'}: ${issue.message}`)
  }
  return r.data
}

export const MiB = 1024 * 1024
