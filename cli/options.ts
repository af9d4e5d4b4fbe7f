// Option values from commander (strings) validated with zod: every error names the
// option, what it allows and what it got, e.g.
//   --fsync must be always, never or a number of milliseconds, got "sometimes"
// A value's rule (Rule) is one object whichever way the value comes: a flag's or an
// environment variable's text (parse), or a configuration file's typed value (typed).
import { z } from 'zod'
import { checkHost } from '../collector/archive/paths.ts'
import { UsageError } from './errors.ts'

export const quote = (v: unknown): string => JSON.stringify(v) ?? String(v)

/** What a value may be, and how to read it from text (flags, environment) and from a typed value (a TOML file). */
export interface Rule<T> {
  /** what is allowed, for messages: "a positive number of MiB, at most 1024" */
  allowed: string
  /** a flag's or environment variable's text; undefined refuses it */
  parse: (s: string) => T | undefined
  /** a typed value (TOML): a string goes through parse, other types through this */
  typed?: (v: unknown) => T | undefined
}

/** A rule's value from a typed value (a TOML file's): strings are parsed as text unless the rule reads its type itself. */
export function typedValue<T> (rule: Rule<T>, v: unknown): T | undefined {
  if (rule.typed !== undefined) return rule.typed(v)
  return typeof v === 'string' ? rule.parse(v) : undefined
}

/** A zod schema of a string that `rule` turns into T; `message` says what was refused. */
export function ruleSchema<T> (rule: Rule<T>, message: (s: string) => string) {
  return z.string().transform((s, ctx): T => {
    const v = rule.parse(s)
    if (v === undefined) {
      ctx.issues.push({ code: 'custom', message: message(s), input: s })
      return z.NEVER
    }
    return v
  })
}

/** A flag's value under `rule`: "--flag must be <allowed>, got <value>". */
export function flagValue<T> (flag: string, rule: Rule<T>) {
  return ruleSchema(rule, s => `${flag} must be ${rule.allowed}, got ${quote(s)}`)
}

/** A string option whose value `parse` turns into T, or refuses with undefined. */
export function optionValue<T> (flag: string, allowed: string, parse: (s: string) => T | undefined) {
  return flagValue(flag, { allowed, parse })
}

const DECIMAL = /^(?:\d+\.?\d*|\.\d+)$/
const INTEGER = /^\d+$/

/** The mode of the collector's files: octal, no x bits, nothing for others (file-mode.ts). A string in a file too ("0640"). */
export const fileModeRule: Rule<number> = {
  allowed: 'an octal mode such as 0640 or 0600, with no x bits and nothing for others',
  parse: s => {
    if (!/^0?[0-7]{3}$/.test(s)) return undefined
    const mode = parseInt(s, 8)
    return (mode & 0o117) === 0 ? mode : undefined
  },
}
export const fileModeOption = flagValue('--file-mode', fileModeRule)

/** A number > 0 (fractions allowed), at most `max`; a TOML integer or float in a file. */
export function positiveRule (unit: string, max = Number.MAX_SAFE_INTEGER): Rule<number> {
  const ok = (n: number): number | undefined => n > 0 && n <= max ? n : undefined
  return {
    allowed: `a positive number of ${unit}${max === Number.MAX_SAFE_INTEGER ? '' : `, at most ${max}`}`,
    parse: s => DECIMAL.test(s) ? ok(Number(s)) : undefined,
    typed: v => typeof v === 'number' && Number.isFinite(v) ? ok(v) : undefined,
  }
}

export function positiveNumber (flag: string, unit: string, max = Number.MAX_SAFE_INTEGER) {
  return flagValue(flag, positiveRule(unit, max))
}

/** An integer in min..max; a TOML integer in a file. */
export function integerRule (min: number, max: number, what = `an integer from ${min} to ${max}`): Rule<number> {
  const ok = (n: number): number | undefined => Number.isInteger(n) && n >= min && n <= max ? n : undefined
  return {
    allowed: what,
    parse: s => INTEGER.test(s) ? ok(Number(s)) : undefined,
    typed: v => typeof v === 'number' ? ok(v) : undefined,
  }
}

export function integer (flag: string, min: number, max: number, what = `an integer from ${min} to ${max}`) {
  return flagValue(flag, integerRule(min, max, what))
}

/** One of a fixed set of words. */
export function oneOf<const T extends string> (flag: string, values: readonly T[]) {
  const allowed = values.length === 1 ? values[0]! : `${values.slice(0, -1).join(', ')} or ${values.at(-1)!}`
  return optionValue(flag, allowed, s => (values as readonly string[]).includes(s) ? s as T : undefined)
}

export type Fsync = 'always' | 'never' | number

const FSYNC_MAX_MS = 86_400_000

/** always, never or milliseconds (an integer in a file: fsync = 1000). */
export const fsyncRule: Rule<Fsync> = {
  allowed: 'always, never or a number of milliseconds',
  parse: s => {
    if (s === 'always' || s === 'never') return s
    if (INTEGER.test(s) && Number(s) <= FSYNC_MAX_MS) return Number(s)
    return undefined
  },
  typed: v => {
    if (v === 'always' || v === 'never') return v
    return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= FSYNC_MAX_MS ? v : undefined
  },
}
export const fsyncOption = flagValue('--fsync', fsyncRule)

const HOST_RULE = '1-253 characters of A-Z a-z 0-9 . _ - starting with a letter or digit'

/** A host name that is safe as the archive's `host=` partition. */
export const hostRule: Rule<string> = {
  allowed: HOST_RULE,
  parse: s => {
    try { return checkHost(s) } catch { return undefined }
  },
}

export function hostOption (flag = '--host') {
  return flagValue(flag, hostRule)
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
export const pathRule: Rule<string> = {
  allowed: 'a path',
  parse: s => s.trim() === '' || s.includes('\0') ? undefined : s,
}

export function pathOption (flag: string) {
  return flagValue(flag, pathRule)
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
