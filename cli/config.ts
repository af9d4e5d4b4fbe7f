// krelay config check FILE | show: the configuration of `krelay collect` (cli/config/)
// validated without starting anything, and the effective configuration with where each
// value came from (flag, KRELAY_* variable, file, default).
import type { Command } from 'commander'
import { commanderOutput } from './errors.ts'
import { addConfigOptions, configSources } from './config/flags.ts'
import { loadConfig } from './config/load.ts'
import { checkSummary, showJson, showLines } from './config/show.ts'

export function registerConfig (program: Command): void {
  const config = program.command('config')
    .configureOutput(commanderOutput('krelay config'))
    .description('check or show the configuration of krelay collect (file, KRELAY_* variables, flags)')
  config.command('check')
    .configureOutput(commanderOutput('krelay config check'))
    .description('validate a configuration file (with the KRELAY_* variables) as krelay collect would, without starting anything')
    .argument('<file>', 'the configuration file (TOML)')
    .action((file: string) => {
      const loaded = loadConfig({ file, env: process.env, flags: {} })
      process.stdout.write([`${file}: ok`, ...checkSummary(loaded)].join('\n') + '\n')
    })
  const show = config.command('show')
    .configureOutput(commanderOutput('krelay config show'))
    .description('print the configuration krelay collect would run with (given the same flags), and where each value came from')
    .option('--json', 'as JSON: {file, config, origins}')
  addConfigOptions(show)
    .action(({ json, ...opts }: Record<string, unknown>) => {
      const loaded = loadConfig(configSources(opts))
      process.stdout.write(json === true ? `${showJson(loaded)}\n` : `${showLines(loaded).join('\n')}\n`)
    })
}
