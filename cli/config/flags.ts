// The command-line side of the field table: the options of `krelay collect` (and of
// `krelay config show`, which takes the same), with no commander defaults so that what was
// given is known (the defaults live in fields.ts and say so in the help), and the sources of
// a load made from them.
import { Option, type Command } from 'commander'
import { FIELDS, flagKey, isSwitch, valueText, type Field } from './fields.ts'
import { CONFIG_ENV, type ConfigSources } from './load.ts'

function describe (field: Field): string {
  if (isSwitch(field)) return `${field.help} (${field.path} in the file, ${field.env})`
  const fallback = field.default !== undefined ? `default: ${valueText(field, field.default).replace(/^"(.*)"$/, '$1')}` : field.none === 'required' ? 'required here, in the environment or in the file' : `default: ${field.none!}`
  return `${field.help} (${fallback}; ${field.path} in the file, ${field.env})`
}

/** Adds --config and one option per field; a switch gets its opposite too, hidden, to override the file or the environment. */
export function addConfigOptions (cmd: Command): Command {
  cmd.option('--config <file>', `the configuration file (TOML; default: none, or ${CONFIG_ENV}); flags override KRELAY_* variables, which override the file`)
  for (const field of FIELDS) {
    if (!isSwitch(field)) {
      cmd.option(`${field.flag} ${field.arg!}`, describe(field))
      continue
    }
    const key = flagKey(field)
    const on = `--${key.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`)}`
    const negated = field.flag.startsWith('--no-')
    // the positive option first: commander gives a lone --no-x the default true
    const shown = new Option(field.flag, describe(field))
    const hidden = new Option(negated ? on : `--no-${on.slice(2)}`, `${field.path} = ${negated ? 'true' : 'false'}`).hideHelp()
    for (const o of negated ? [hidden, shown] : [shown, hidden]) cmd.addOption(o)
  }
  return cmd
}

/** What a load of `cmd`'s options reads: its flags, the process's environment and the file --config (or KRELAY_CONFIG) names. */
export function configSources (opts: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): ConfigSources {
  const { config, ...flags } = opts
  return { file: config as string | undefined, env, flags }
}
