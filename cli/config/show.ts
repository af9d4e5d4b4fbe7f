// The effective configuration as `krelay config show` prints it: one TOML line per field
// with where its value came from, or JSON for scripts; and `krelay config check`'s summary.
import { FIELDS, flagKey, isSwitch, valueOf, valueText, type Field } from './fields.ts'
import type { LoadedConfig, Origin } from './load.ts'

const COLUMN = 40

/** `archive.file_size_mib = 64   # file /etc/krelay/krelay.toml`, one per field, in the table's order. */
export function showLines (loaded: LoadedConfig): string[] {
  const values = flatValues(loaded)
  return FIELDS.map(field => {
    const v = values.get(field.path)
    const origin = originText(field, loaded.origins[field.path] ?? 'default', v, loaded.file)
    if (v === undefined) return `# ${field.path}: not set (${field.none ?? 'none'})`.padEnd(COLUMN) + `  # ${origin}`
    return `${field.path} = ${valueText(field, v)}`.padEnd(COLUMN) + `  # ${origin}`
  })
}

function originText (field: Field, origin: Origin, v: unknown, file: string | undefined): string {
  switch (origin) {
    case 'file': return `file ${file ?? ''}`
    case 'env': return `env ${field.env}`
    case 'flag': return `flag ${flagGiven(field, v)}`
    case 'default': return 'default'
  }
}

/** The flag as given: a switch's opposite (--compact, --no-follow) when its value says so. */
function flagGiven (field: Field, v: unknown): string {
  if (!isSwitch(field)) return field.flag
  const on = `--${flagKey(field).replace(/[A-Z]/g, c => `-${c.toLowerCase()}`)}`
  return v === true ? on : `--no-${on.slice(2)}`
}

/** The configuration by dotted path. */
export function flatValues (loaded: LoadedConfig): Map<string, unknown> {
  const values = new Map<string, unknown>()
  for (const field of FIELDS) values.set(field.path, valueOf(loaded.config, field))
  return values
}

/** For scripts: the configuration (null where not set), the origin of each value and the file read. */
export function showJson (loaded: LoadedConfig): string {
  return JSON.stringify({ file: loaded.file ?? null, config: loaded.config, origins: loaded.origins }, (_k, v: unknown) => v === undefined ? null : v, 2)
}

/** `krelay config check`'s lines after "FILE: ok". */
export function checkSummary (loaded: LoadedConfig): string[] {
  const count = (o: Origin): number => Object.values(loaded.origins).filter(x => x === o).length
  const c = loaded.config
  return [
    `${count('file')} values from the file, ${count('env')} from the environment, ${count('default')} defaults (krelay config show lists them)`,
    `archive ${c.archive.out} (host ${c.host}), spool ${c.spool.dir}, channel ${c.channel}`,
  ]
}
