// collect's options come from the field table with no commander defaults, so that what was
// given on the command line is known (and wins); the help says each default, key and variable.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildProgram } from '../../../cli/program.ts'
import { FIELDS, isSwitch } from '../../../cli/config/fields.ts'
import { configSources } from '../../../cli/config/flags.ts'
import { krelay } from '../run.ts'

const command = (name: string) => buildProgram().commands.find(c => c.name() === name)!

test('nothing given, nothing in opts(): every value then comes from the environment, the file or the defaults', () => {
  const collect = command('collect')
  collect.parseOptions([])
  assert.deepEqual(collect.opts(), {})
  const given = command('collect')
  given.parseOptions(['--config', '/etc/k.toml', '--no-live', '--follow', '--file-size', '3'])
  assert.deepEqual(configSources(given.opts(), { A: '1' }), { file: '/etc/k.toml', env: { A: '1' }, flags: { live: false, follow: true, fileSize: '3' } })
})

test('krelay collect --help: every field\'s flag with its default, its key in the file and its variable', () => {
  const r = krelay(['collect', '--help'])
  assert.equal(r.status, 0)
  const help = r.stdout.replace(/\s+/g, ' ')
  for (const field of FIELDS) {
    assert.ok(help.includes(isSwitch(field) ? ` ${field.flag} ` : ` ${field.flag} ${field.arg!} `), `${field.flag} in the help`)
    assert.ok(help.includes(`${field.path} in the file, ${field.env})`), `${field.path} and ${field.env} in the help`)
    if (field.default !== undefined && !isSwitch(field)) assert.ok(help.includes(`(default: ${String(field.path === 'archive.file_mode' ? '0640' : field.default)};`), `${field.path}'s default in the help`)
  }
  assert.ok(help.includes('--config <file>'))
  assert.ok(!help.includes('--compact '), 'the opposite of --no-compact is hidden')
})
