// The rules of the configuration's values that only `krelay collect` has (the others are in
// cli/options.ts): switches, the module's level, the live socket's group and the metrics
// address. Each reads a flag's or environment variable's text and a TOML file's typed value.
import { LEVEL_NAMES } from '../../formats/wire.ts'
import type { Rule } from '../options.ts'

const TRUE = new Set(['true', '1', 'yes', 'on'])
const FALSE = new Set(['false', '0', 'no', 'off'])

/** A switch: a TOML boolean in a file; true/false (or 1/0, yes/no, on/off) in the environment. */
export const booleanRule: Rule<boolean> = {
  allowed: 'true or false',
  parse: s => TRUE.has(s) ? true : FALSE.has(s) ? false : undefined,
  typed: v => typeof v === 'boolean' ? v : undefined,
}

/** The module's level filter (PROTOCOL.md): a name, emerg..debug, or its number 0..7. */
export const levelRule: Rule<number> = {
  allowed: `a level name (${LEVEL_NAMES.join(', ')}) or a number from 0 to 7`,
  parse: s => {
    const i = (LEVEL_NAMES as readonly string[]).indexOf(s)
    if (i >= 0) return i
    return /^[0-7]$/.test(s) ? Number(s) : undefined
  },
  typed: v => {
    if (typeof v === 'string') return (LEVEL_NAMES as readonly string[]).includes(v) ? LEVEL_NAMES.indexOf(v as typeof LEVEL_NAMES[number]) : undefined
    return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 7 ? v : undefined
  },
}

export function levelName (level: number): string {
  return LEVEL_NAMES[level] ?? String(level)
}

/** A group of /etc/group by name or number (resolved when the collector starts). */
export const groupRule: Rule<string> = {
  allowed: 'a group name or number',
  parse: s => /^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/.test(s) ? s : undefined,
}

export interface Listen { host: string, port: number }

/** host:port to listen on: a name or IPv4 address, or [IPv6]; port 0 picks a free one. */
export const listenRule: Rule<Listen> = {
  allowed: 'host:port, such as 127.0.0.1:9464 or [::1]:9464, with a port from 0 to 65535',
  parse: s => {
    const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9][A-Za-z0-9.-]*)):(\d{1,5})$/.exec(s)
    if (m === null) return undefined
    const port = Number(m[3])
    if (port > 65535) return undefined
    const host = m[1] ?? m[2]!
    if (m[1] !== undefined && !host.includes(':')) return undefined
    return { host, port }
  },
}

export function listenText (l: Listen): string {
  return `${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}`
}
