// krelay config check / show, run as a user would: the precedence flag > KRELAY_* variable >
// file > default shown value by value with its origin, --json for scripts, and a broken
// file refused by check exactly as by collect (exit 2, one line).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { krelay } from './run.ts'
import { tempDir } from '../temp-dir.ts'

const dir = tempDir('krelay-config-')
const write = (name: string, text: string): string => {
  const file = path.join(dir, name)
  fs.writeFileSync(file, text)
  return file
}

const FILE = `channel = "/tmp/channel-from-file"
level = "warning"

[archive]
out = "/srv/archive"
file_size_mib = 64
file_age_seconds = 30

[spool]
fsync = "never"
`

/** config show's lines by dotted path: [value, origin]. */
function shown (stdout: string): Map<string, [string, string]> {
  const lines = new Map<string, [string, string]>()
  for (const line of stdout.trimEnd().split('\n')) {
    const m = /^([a-z_.]+) = (.*?) +# (.*)$/.exec(line)
    if (m !== null) lines.set(m[1]!, [m[2]!, m[3]!])
  }
  return lines
}

test('config show: file < env < flag, each value with its origin', () => {
  const file = write('precedence.toml', FILE)
  const r = krelay(['config', 'show', '--config', file, '--file-size', '16', '--level', '7', '--no-compact'], {
    KRELAY_ARCHIVE_FILE_SIZE_MIB: '32',
    KRELAY_ARCHIVE_FILE_AGE_SECONDS: '45',
    KRELAY_LEVEL: 'err',
    KRELAY_HOST: 'from-env',
  })
  assert.equal(r.status, 0, r.stderr)
  assert.equal(r.stderr, '')
  const v = shown(r.stdout)
  assert.deepEqual(v.get('archive.file_size_mib'), ['16', 'flag --file-size'], 'flag over env over file')
  assert.deepEqual(v.get('archive.file_age_seconds'), ['45', 'env KRELAY_ARCHIVE_FILE_AGE_SECONDS'], 'env over file')
  assert.deepEqual(v.get('level'), ['"debug"', 'flag --level'])
  assert.deepEqual(v.get('host'), ['"from-env"', 'env KRELAY_HOST'])
  assert.deepEqual(v.get('channel'), ['"/tmp/channel-from-file"', `file ${file}`])
  assert.deepEqual(v.get('archive.out'), ['"/srv/archive"', `file ${file}`])
  assert.deepEqual(v.get('spool.fsync'), ['"never"', `file ${file}`])
  assert.deepEqual(v.get('archive.compact'), ['false', 'flag --no-compact'])
  assert.deepEqual(v.get('spool.dir'), ['"/srv/archive/.spool"', 'default'])
  assert.deepEqual(v.get('spool.segment_size_mib'), ['64', 'default'])
  assert.deepEqual(v.get('archive.file_mode'), ['"0640"', 'default'])
  assert.match(r.stdout, /^# metrics\.listen: not set \(no metrics\) +# default$/m)
  assert.match(r.stdout, /^# live\.group: not set \(only root may connect: socket mode 0600\) +# default$/m)
})

test('config show --json: the configuration, the origins and the file, for scripts', () => {
  const file = write('json.toml', FILE)
  const r = krelay(['config', 'show', '--json', '--metrics', '[::1]:9464'], { KRELAY_CONFIG: file, KRELAY_SPOOL_BUDGET_MIB: '2048' })
  assert.equal(r.status, 0, r.stderr)
  const j = JSON.parse(r.stdout) as { file: string, config: Record<string, Record<string, unknown>>, origins: Record<string, string> }
  assert.equal(j.file, file)
  assert.equal(j.config.archive!.file_size_mib, 64)
  assert.equal(j.config.archive!.file_mode, 0o640)
  assert.equal(j.config.spool!.budget_mib, 2048)
  assert.deepEqual(j.config.metrics, { listen: { host: '::1', port: 9464 } })
  assert.equal(j.config.level, 4)
  assert.equal(j.config.host, os.hostname())
  assert.equal(j.config.live!.group, null)
  assert.deepEqual(j.origins, {
    channel: 'file',
    host: 'default',
    level: 'file',
    follow: 'default',
    'archive.out': 'file',
    'archive.file_size_mib': 'file',
    'archive.file_age_seconds': 'file',
    'archive.file_mode': 'default',
    'archive.compact': 'default',
    'spool.dir': 'default',
    'spool.fsync': 'file',
    'spool.segment_size_mib': 'default',
    'spool.segment_age_seconds': 'default',
    'spool.budget_mib': 'env',
    'live.enabled': 'default',
    'live.socket': 'default',
    'live.group': 'default',
    'live.queue_mib': 'default',
    'metrics.listen': 'flag',
  })
})

test('--config wins over KRELAY_CONFIG', () => {
  const a = write('a.toml', '[archive]\nout = "/a"\n')
  const b = write('b.toml', '[archive]\nout = "/b"\n')
  const r = krelay(['config', 'show', '--config', b], { KRELAY_CONFIG: a })
  assert.equal(r.status, 0, r.stderr)
  assert.deepEqual(shown(r.stdout).get('archive.out'), ['"/b"', `file ${b}`])
})

test('config check FILE: "FILE: ok" and a summary; the environment is taken into account as by collect', () => {
  const file = write('ok.toml', FILE)
  const r = krelay(['config', 'check', file], { KRELAY_HOST: 'web-1' })
  assert.equal(r.status, 0, r.stderr)
  assert.equal(r.stdout, `${file}: ok\n` +
    '6 values from the file, 1 from the environment, 12 defaults (krelay config show lists them)\n' +
    'archive /srv/archive (host web-1), spool /srv/archive/.spool, channel /tmp/channel-from-file\n')
  const bad = krelay(['config', 'check', file], { KRELAY_SPOOL_FSYNC: 'sometimes' })
  assert.equal(bad.status, 2)
  assert.equal(bad.stderr, 'krelay config check: KRELAY_SPOOL_FSYNC: spool.fsync: "sometimes" is not allowed: always, never or a number of milliseconds\n')
})

test('a TOML syntax error: the file, line and column, from check and from collect alike; nothing created', () => {
  const file = write('syntax.toml', '[archive]\nout = "/x"\nfile_size_mib = = 3\n')
  const check = krelay(['config', 'check', file])
  assert.equal(check.status, 2)
  assert.match(check.stderr, new RegExp(`^krelay config check: ${file}:3:17: not valid TOML: .+\n$`))
  const out = path.join(dir, 'syntax-out')
  const collect = krelay(['collect', '--config', file, '--out', out, '--channel', path.join(dir, 'none'), '--host', 'h', '--no-live'])
  assert.equal(collect.status, 2)
  assert.equal(collect.stderr, check.stderr.replace('krelay config check:', 'krelay collect:'))
  assert.equal(fs.existsSync(out), false)
})

test('an unknown key: named with the nearest known one as a hint', () => {
  const cases: Array<[string, string]> = [
    ['[archive]\nout = "/x"\nfile_size = 64\n', 'archive.file_size: unknown key; did you mean archive.file_size_mib?'],
    ['out = "/x"\n', 'out: unknown key; did you mean archive.out?'],
    ['[spool]\nfsinc = 1000\n[archive]\nout = "/x"\n', 'spool.fsinc: unknown key; did you mean spool.fsync?'],
    ['[archives]\nout = "/x"\n', 'archives: unknown key; did you mean archive?'],
    ['[archive]\nout = "/x"\nzzzzzzzzzz = 1\n', 'archive.zzzzzzzzzz: unknown key'],
  ]
  for (const [text, message] of cases) {
    const file = write('unknown.toml', text)
    const r = krelay(['config', 'check', file])
    assert.equal(r.status, 2, text)
    assert.equal(r.stderr, `krelay config check: ${file}: ${message}\n`)
  }
})

test('a file that is not there, a section that is not a table, no archive.out anywhere: exit 2, one line', () => {
  const missing = path.join(dir, 'missing.toml')
  const cases: Array<[string[], Record<string, string>, string]> = [
    [['config', 'check', missing], {}, `krelay config check: ${missing}: cannot read the configuration file: no such file\n`],
    [['config', 'show'], { KRELAY_CONFIG: missing }, `krelay config show: KRELAY_CONFIG=${missing}: cannot read the configuration file: no such file\n`],
    [['config', 'check', write('table.toml', 'archive = 5\n')], {}, `krelay config check: ${path.join(dir, 'table.toml')}: archive: 5 is not allowed: a table ([archive])\n`],
    [['config', 'check', write('no-out.toml', 'follow = true\n')], {}, 'krelay config check: archive.out is required: give --out DIR, KRELAY_ARCHIVE_OUT=DIR or [archive] out = "DIR" in the --config file\n'],
  ]
  for (const [args, env, stderr] of cases) {
    const r = krelay(args, env)
    assert.equal(r.status, 2, args.join(' '))
    assert.equal(r.stderr, stderr)
  }
})
