// Every setting of `krelay collect`, defined once: its key in the configuration file (TOML),
// its flag, its KRELAY_* environment variable, the rule of its values, its default and
// whether SIGHUP changes it while the collector runs. The file's schema (schema.ts), the
// flags (flags.ts), the merge (load.ts), `krelay config show` and the example file
// (packaging/krelay.toml, checked against this table by its test) all come from here.
import { DEFAULT_LIVE_SOCKET } from '../../collector/live/socket-file.ts'
import { fileModeRule, fsyncRule, hostRule, pathRule, positiveRule, type Fsync, type Rule } from '../options.ts'
import { booleanRule, groupRule, levelName, levelRule, listenRule, listenText, type Listen } from './rules.ts'

export const DEFAULT_CHANNEL_DIR = '/sys/kernel/debug/krelay'
const TIB_IN_MIB = 1024 * 1024

/** The effective configuration of `krelay collect` (what zod's checks and the defaults make of file, environment and flags). */
export interface ServiceConfig {
  channel: string
  host: string
  /** the module's level filter, 0 (emerg) .. 7 (debug); undefined leaves the module's */
  level: number | undefined
  follow: boolean
  archive: { out: string, file_size_mib: number, file_age_seconds: number, file_mode: number, compact: boolean }
  spool: { dir: string, fsync: Fsync, segment_size_mib: number, segment_age_seconds: number, budget_mib: number }
  live: { enabled: boolean, socket: string, group: string | undefined, queue_mib: number }
  metrics: { listen: Listen | undefined }
}

export interface Field {
  /** dotted key in the file: 'archive.file_size_mib' */
  path: string
  /** the flag as documented: '--file-size', or '--no-compact' for a switch on by default */
  flag: string
  /** the flag's value placeholder ('<MiB>'); none for a switch */
  arg?: string
  env: string
  rule: Rule<unknown>
  /** the default value; undefined when there is none (`none` says what then) */
  default?: unknown
  /** what applies when the field is not given anywhere and has no default value */
  none?: string
  /** changed by SIGHUP while the collector runs */
  live: boolean
  /** one line on what it is, for --help and the example file */
  help: string
  /** the value as TOML (config show, the example file) */
  text?: (v: never) => string
}

const f = (field: Field): Field => field

export const FIELDS: readonly Field[] = [
  f({ path: 'channel', flag: '--channel', arg: '<dir>', env: 'KRELAY_CHANNEL', rule: pathRule, default: DEFAULT_CHANNEL_DIR, live: false, help: 'the module\'s channel directory' }),
  f({ path: 'host', flag: '--host', arg: '<name>', env: 'KRELAY_HOST', rule: hostRule, none: 'this machine\'s host name', live: false, help: 'the host= partition of the archive' }),
  f({ path: 'level', flag: '--level', arg: '<name|0-7>', env: 'KRELAY_LEVEL', rule: levelRule, none: 'the module\'s level is left as it is', live: true, help: 'the module\'s level filter: records less severe are not recorded (emerg, alert, crit, err, warning, notice, info, debug or 0-7)', text: (v: number) => JSON.stringify(levelName(v)) }),
  f({ path: 'follow', flag: '--follow', env: 'KRELAY_FOLLOW', rule: booleanRule, default: false, live: false, help: 'keep running when the module is unloaded, and attach to it when it is loaded again' }),
  f({ path: 'archive.out', flag: '--out', arg: '<dir>', env: 'KRELAY_ARCHIVE_OUT', rule: pathRule, none: 'required', live: false, help: 'archive root: <out>/records/... and <out>/losses/...' }),
  f({ path: 'archive.file_size_mib', flag: '--file-size', arg: '<MiB>', env: 'KRELAY_ARCHIVE_FILE_SIZE_MIB', rule: positiveRule('MiB', TIB_IN_MIB), default: 128, live: true, help: 'start a new Parquet file beyond this many MiB of rows' }),
  f({ path: 'archive.file_age_seconds', flag: '--file-age', arg: '<seconds>', env: 'KRELAY_ARCHIVE_FILE_AGE_SECONDS', rule: positiveRule('seconds', 86400), default: 60, live: true, help: 'publish a Parquet file once its first row is this old' }),
  f({ path: 'archive.file_mode', flag: '--file-mode', arg: '<octal>', env: 'KRELAY_ARCHIVE_FILE_MODE', rule: fileModeRule, default: 0o640, live: false, help: 'mode of the spool and archive files it creates (directories get x where r is: 0640 -> 0750); nothing for others', text: (v: number) => `"0${v.toString(8)}"` }),
  f({ path: 'archive.compact', flag: '--no-compact', env: 'KRELAY_ARCHIVE_COMPACT', rule: booleanRule, default: true, live: false, help: 'do not compact closed hours (by default each hour of this host is rewritten as one sorted file; krelay compact DIR does it offline)' }),
  f({ path: 'spool.dir', flag: '--spool', arg: '<dir>', env: 'KRELAY_SPOOL_DIR', rule: pathRule, none: '<out>/.spool', live: false, help: 'where complete sub-buffers are stored before they are acknowledged' }),
  f({ path: 'spool.fsync', flag: '--fsync', arg: '<when>', env: 'KRELAY_SPOOL_FSYNC', rule: fsyncRule, default: 1000, live: true, help: 'when spooled sub-buffers reach the disk: always, never or at most every <ms> milliseconds' }),
  f({ path: 'spool.segment_size_mib', flag: '--segment-size', arg: '<MiB>', env: 'KRELAY_SPOOL_SEGMENT_SIZE_MIB', rule: positiveRule('MiB', TIB_IN_MIB), default: 64, live: true, help: 'start a new spool segment beyond this many MiB' }),
  f({ path: 'spool.segment_age_seconds', flag: '--segment-age', arg: '<seconds>', env: 'KRELAY_SPOOL_SEGMENT_AGE_SECONDS', rule: positiveRule('seconds', 86400), default: 300, live: true, help: 'start a new spool segment when the open one is this old' }),
  f({ path: 'spool.budget_mib', flag: '--spool-budget', arg: '<MiB>', env: 'KRELAY_SPOOL_BUDGET_MIB', rule: positiveRule('MiB', 1024 * TIB_IN_MIB), default: 1024, live: true, help: 'past this many MiB of spool (the archive behind capture), stop acknowledging until the archive catches up: the kernel then counts drops, archived as loss rows' }),
  f({ path: 'live.enabled', flag: '--no-live', env: 'KRELAY_LIVE_ENABLED', rule: booleanRule, default: true, live: false, help: 'serve no live stream (by default krelay tail is served the merged stream)' }),
  f({ path: 'live.socket', flag: '--live-socket', arg: '<path>', env: 'KRELAY_LIVE_SOCKET', rule: pathRule, default: DEFAULT_LIVE_SOCKET, live: false, help: 'the live stream\'s Unix socket (when not given, one that cannot be made only costs a log line)' }),
  f({ path: 'live.group', flag: '--live-group', arg: '<name>', env: 'KRELAY_LIVE_GROUP', rule: groupRule, none: 'only root may connect: socket mode 0600', live: false, help: 'members of this group may connect too (socket mode 0660)' }),
  f({ path: 'live.queue_mib', flag: '--live-queue', arg: '<MiB>', env: 'KRELAY_LIVE_QUEUE_MIB', rule: positiveRule('MiB', 1024), default: 4, live: true, help: 'what one live subscriber may hold before its records are skipped (new subscribers get a new value)' }),
  f({ path: 'metrics.listen', flag: '--metrics', arg: '<host:port>', env: 'KRELAY_METRICS_LISTEN', rule: listenRule, none: 'no metrics', live: false, help: 'serve Prometheus metrics on http://host:port/metrics', text: (v: Listen) => JSON.stringify(listenText(v)) }),
]

export const SECTIONS = ['archive', 'spool', 'live', 'metrics'] as const

export const fieldByPath = new Map(FIELDS.map(x => [x.path, x]))

/** A switch takes no value on the command line. */
export const isSwitch = (field: Field): boolean => field.arg === undefined

/** commander's key of the flag: '--file-size' -> 'fileSize', '--no-compact' -> 'compact'. */
export function flagKey (field: Field): string {
  return field.flag.replace(/^--(no-)?/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())
}

/** A value as TOML. */
export function valueText (field: Field, v: unknown): string {
  return field.text !== undefined ? (field.text as (x: unknown) => string)(v) : JSON.stringify(v)
}

/** The section ('' at the top) and the key within it. */
export function splitPath (p: string): [string, string] {
  const dot = p.indexOf('.')
  return dot < 0 ? ['', p] : [p.slice(0, dot), p.slice(dot + 1)]
}

/** A field's value in a configuration. */
export function valueOf (config: ServiceConfig, field: Field): unknown {
  let v: unknown = config
  for (const part of field.path.split('.')) v = (v as Record<string, unknown> | undefined)?.[part]
  return v
}
