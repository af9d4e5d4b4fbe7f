// The effective configuration of `krelay collect`: flag > KRELAY_* environment > the file
// (--config FILE or KRELAY_CONFIG) > default, with where each value came from. Every
// problem is a ConfigError (exit 2) naming where (the file, the variable or the flag), the
// field's dotted path, the value and what is allowed; nothing is started before this passed.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parse as parseToml, TomlError } from 'smol-toml'
import { UsageError } from '../errors.ts'
import { isValidHost, quote, typedValue } from '../options.ts'
import { FIELDS, flagKey, isSwitch, SECTIONS, splitPath, type Field, type ServiceConfig } from './fields.ts'
import { describeIssue, fileSchema, nearest } from './schema.ts'

export type Origin = 'default' | 'file' | 'env' | 'flag'

export interface ConfigSources {
  /** the configuration file (--config); absent, KRELAY_CONFIG in env names it, if set */
  file?: string
  env: NodeJS.ProcessEnv
  /** commander's opts() of collect: strings for options with a value, booleans for switches; undefined = not given */
  flags: Record<string, unknown>
}

export interface LoadedConfig {
  config: ServiceConfig
  /** where each value came from, by dotted path ('archive.file_size_mib') */
  origins: Record<string, Origin>
  /** the file read, if any */
  file?: string
}

/** A configuration that cannot be used: exit 2, nothing started. */
export class ConfigError extends UsageError {
  override name = 'ConfigError'
}

export const CONFIG_ENV = 'KRELAY_CONFIG'

export function loadConfig (src: ConfigSources): LoadedConfig {
  const values = new Map<string, unknown>()
  const origins: Record<string, Origin> = {}
  const set = (field: Field, v: unknown, origin: Origin): void => {
    if (v === undefined || values.has(field.path)) return
    values.set(field.path, v)
    origins[field.path] = origin
  }
  for (const field of FIELDS) set(field, flagValue(field, src.flags[flagKey(field)]), 'flag')
  checkEnvNames(src.env)
  for (const field of FIELDS) set(field, envValue(field, src.env[field.env]), 'env')
  const file = configFile(src)
  if (file !== undefined) {
    const fromFile = readFile(file.path, file.where)
    for (const field of FIELDS) set(field, fromFile.get(field.path), 'file')
  }
  for (const field of FIELDS) set(field, field.default, 'default')
  const out = values.get('archive.out') as string | undefined
  if (out === undefined) {
    throw new ConfigError(`archive.out is required: give --out DIR, ${fieldEnv('archive.out')}=DIR or [archive] out = "DIR" in the --config file`)
  }
  set(FIELDS.find(x => x.path === 'spool.dir')!, path.join(out, '.spool'), 'default')
  // only when no source gave one: a machine whose name cannot be the partition ("(none)") runs with --host
  if (!values.has('host')) set(FIELDS.find(x => x.path === 'host')!, defaultHost(), 'default')
  // in the table's order; fields with no value anywhere (level, live.group, metrics.listen): their absence is the default
  const ordered = Object.fromEntries(FIELDS.map(x => [x.path, origins[x.path] ?? 'default'])) as Record<string, Origin>
  return { config: serviceConfig(values), origins: ordered, file: file?.path }
}

function fieldEnv (p: string): string {
  return FIELDS.find(x => x.path === p)!.env
}

/** A flag's value as commander gives it: text for an option with a value, a boolean for a switch. */
function flagValue (field: Field, v: unknown): unknown {
  if (v === undefined) return undefined
  const out = isSwitch(field) ? typedValue(field.rule, v) : typeof v === 'string' ? field.rule.parse(v) : undefined
  if (out === undefined) throw new ConfigError(`${field.flag} must be ${field.rule.allowed}, got ${quote(v)}`)
  return out
}

function envValue (field: Field, v: string | undefined): unknown {
  if (v === undefined) return undefined
  const out = field.rule.parse(v)
  if (out === undefined) throw new ConfigError(`${field.env}: ${field.path}: ${quote(v)} is not allowed: ${field.rule.allowed}`)
  return out
}

const ENV_NAMES = FIELDS.map(x => x.env)
const SECTION_ENV = new RegExp(`^KRELAY_(?:${SECTIONS.map(x => x.toUpperCase()).join('|')})_`)

/** A variable of a section's prefix (KRELAY_SPOOL_...) that is no field's: a typo, refused like an unknown key. */
function checkEnvNames (env: NodeJS.ProcessEnv): void {
  for (const name of Object.keys(env)) {
    if (!SECTION_ENV.test(name) || ENV_NAMES.includes(name)) continue
    const hint = nearest(name, ENV_NAMES)
    throw new ConfigError(`${name}: unknown variable${hint === undefined ? '' : `; did you mean ${hint}?`}`)
  }
}

function configFile (src: ConfigSources): { path: string, where: string } | undefined {
  if (src.file !== undefined) return { path: checkedPath(src.file, '--config'), where: '--config' }
  const fromEnv = src.env[CONFIG_ENV]
  if (fromEnv === undefined) return undefined
  return { path: checkedPath(fromEnv, CONFIG_ENV), where: CONFIG_ENV }
}

function checkedPath (p: string, where: string): string {
  if (p.trim() === '' || p.includes('\0')) {
    throw new ConfigError(`${where}: ${quote(p)} is not allowed: the path of a configuration file (TOML)`)
  }
  return p
}

/** The file's values by dotted path; a ConfigError names the file (and line and column of a syntax error). */
export function readFile (file: string, where = '--config'): Map<string, unknown> {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'a directory, not a file' : e.code === 'EACCES' ? 'permission denied' : e.message
    throw new ConfigError(`${where === CONFIG_ENV ? `${CONFIG_ENV}=` : ''}${file}: cannot read the configuration file: ${why}`)
  }
  let doc: unknown
  try {
    doc = parseToml(text)
  } catch (err) {
    if (!(err instanceof TomlError)) throw err
    const what = err.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '')
    throw new ConfigError(`${file}:${err.line}:${err.column}: not valid TOML: ${what}`)
  }
  const r = fileSchema.safeParse(doc)
  if (!r.success) throw new ConfigError(`${file}: ${describeIssue(r.error.issues[0]!, doc)}`)
  const values = new Map<string, unknown>()
  for (const field of FIELDS) {
    const [section, key] = splitPath(field.path)
    const table = (section === '' ? r.data : r.data[section]) as Record<string, unknown> | undefined
    const v = table?.[key]
    if (v !== undefined) values.set(field.path, v)
  }
  return values
}

function defaultHost (): string {
  const name = os.hostname()
  if (!isValidHost(name)) {
    throw new ConfigError(`this machine's host name ${quote(name)} cannot be the host= partition: give --host NAME, ${fieldEnv('host')}=NAME or host = "NAME" in the --config file`)
  }
  return name
}

function serviceConfig (v: Map<string, unknown>): ServiceConfig {
  const get = <T>(p: string): T => v.get(p) as T
  return {
    channel: get('channel'),
    host: get('host'),
    level: get('level'),
    follow: get('follow'),
    archive: {
      out: get('archive.out'),
      file_size_mib: get('archive.file_size_mib'),
      file_age_seconds: get('archive.file_age_seconds'),
      file_mode: get('archive.file_mode'),
      compact: get('archive.compact'),
    },
    spool: {
      dir: get('spool.dir'),
      fsync: get('spool.fsync'),
      segment_size_mib: get('spool.segment_size_mib'),
      segment_age_seconds: get('spool.segment_age_seconds'),
      budget_mib: get('spool.budget_mib'),
    },
    live: {
      enabled: get('live.enabled'),
      socket: get('live.socket'),
      group: get('live.group'),
      queue_mib: get('live.queue_mib'),
    },
    metrics: { listen: get('metrics.listen') },
  }
}
