// The command line's argument validation: usage errors exit 2 with one line naming the
// option and what it allows; runtime failures exit 1 with one line; no stack traces
// unless KRELAY_DEBUG=1.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { z } from 'zod'
import { fsyncOption, integer, oneOf, parseOptions, positiveNumber } from '../../cli/options.ts'
import { loadConfig } from '../../cli/config/load.ts'
import { demoSchema, checkOutDir } from '../../cli/demo/demo.ts'
import { UsageError } from '../../cli/errors.ts'
import { tempDir } from '../temp-dir.ts'
import { krelay, type Run } from './run.ts'

const tmp = (): string => tempDir('krelay-cli-')

/** A UsageError whose message matches. */
function usage (re: RegExp): (err: unknown) => boolean {
  return err => err instanceof UsageError && re.test(err.message)
}

/** Exactly one line on stderr, nothing on stdout, no stack. */
function oneLine (r: Run, status: number, re: RegExp): void {
  assert.equal(r.status, status, `exit status; stderr: ${r.stderr}`)
  assert.equal(r.stdout, '')
  const lines = r.stderr.trimEnd().split('\n')
  assert.equal(lines.length, 1, `one line, got:\n${r.stderr}`)
  assert.match(lines[0]!, re)
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace')
}

test('--fsync accepts always, never and milliseconds, and refuses anything else naming the allowed values', () => {
  const parse = (s: string): unknown => fsyncOption.parse(s)
  assert.equal(parse('always'), 'always')
  assert.equal(parse('never'), 'never')
  assert.equal(parse('250'), 250)
  assert.equal(parse('0'), 0)
  for (const bad of ['sometimes', '', '-5', '1.5', '1e3', 'Always']) {
    assert.throws(() => parseOptions(z.object({ fsync: fsyncOption }), { fsync: bad }),
      (err: unknown) => err instanceof UsageError && err.message === `--fsync must be always, never or a number of milliseconds, got ${JSON.stringify(bad)}`)
  }
})

test('numbers: positive sizes and ages, integer ranges, word lists', () => {
  const size = positiveNumber('--file-size', 'MiB')
  assert.equal(size.parse('0.5'), 0.5)
  assert.equal(size.parse('128'), 128)
  for (const bad of ['0', '-1', 'abc', '', '1e9x']) assert.equal(size.safeParse(bad).success, false, bad)
  const records = integer('--records', 1, 10)
  assert.equal(records.parse('10'), 10)
  for (const bad of ['0', '11', '1.0', ' 1']) assert.equal(records.safeParse(bad).success, false, bad)
  const kernel = oneOf('--kernel', ['6.1', '6.12'])
  assert.equal(kernel.parse('6.12'), '6.12')
  assert.match(kernel.safeParse('6.2').error!.issues[0]!.message, /^--kernel must be 6\.1 or 6\.12, got "6\.2"$/)
})

test('collect options: defaults and each bad value named', () => {
  const load = (flags: Record<string, unknown>): unknown => loadConfig({ env: {}, flags: { out: '/x', host: 'h', ...flags } }).config
  const ok = load({ fsync: '250', fileSize: '0.5', fileMode: '600' })
  assert.deepEqual(ok, {
    channel: '/sys/kernel/debug/krelay',
    host: 'h',
    level: undefined,
    follow: false,
    archive: { out: '/x', file_size_mib: 0.5, file_age_seconds: 60, file_mode: 0o600, compact: true },
    spool: { dir: '/x/.spool', fsync: 250, segment_size_mib: 64, segment_age_seconds: 300, budget_mib: 1024 },
    live: { enabled: true, socket: '/run/krelay/live.sock', group: undefined, queue_mib: 4 },
    metrics: { listen: undefined },
  })
  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ fileSize: '0' }, /^--file-size must be a positive number of MiB, at most 1048576, got "0"$/],
    [{ fileAge: 'soon' }, /^--file-age must be a positive number of seconds, at most 86400, got "soon"$/],
    [{ segmentSize: '-3' }, /^--segment-size must be a positive number of MiB, at most 1048576, got "-3"$/],
    [{ segmentAge: '' }, /^--segment-age must be a positive number of seconds, at most 86400, got ""$/],
    [{ spoolBudget: '0' }, /^--spool-budget must be a positive number of MiB, at most 1073741824, got "0"$/],
    [{ host: 'a/b' }, /^--host must be 1-253 characters of A-Z a-z 0-9 \. _ - starting with a letter or digit, got "a\/b"$/],
    [{ host: '.hidden' }, /^--host must be/],
    [{ fileMode: '0644' }, /^--file-mode must be an octal mode such as 0640 or 0600, with no x bits and nothing for others, got "0644"$/],
    [{ fileMode: '0750' }, /^--file-mode must be an octal mode/],
    [{ fileMode: '0680' }, /^--file-mode must be an octal mode/],
    [{ fileMode: 'rw-r-----' }, /^--file-mode must be an octal mode/],
    [{ level: 'loud' }, /^--level must be a level name \(emerg, alert, crit, err, warning, notice, info, debug\) or a number from 0 to 7, got "loud"$/],
    [{ metrics: '9464' }, /^--metrics must be host:port, such as 127\.0\.0\.1:9464 or \[::1\]:9464, with a port from 0 to 65535, got "9464"$/],
  ]
  for (const [patch, re] of bad) assert.throws(() => load(patch), usage(re))
})

test('demo options: --kernel, --cpus, --records, --rate ranges', () => {
  const base = { kernel: '6.1', cpus: '2', records: '200000', out: '/x', rate: '5000', killCollector: '0' }
  assert.equal(parseOptions(demoSchema, base).records, 200000)
  assert.throws(() => parseOptions(demoSchema, { ...base, kernel: '5.10' }), usage(/^--kernel must be 6\.1 or 6\.12, got "5\.10"$/))
  assert.throws(() => parseOptions(demoSchema, { ...base, records: '0' }), usage(/^--records must be a number of records per CPU from 1 to 1000000000, got "0"$/))
  assert.throws(() => parseOptions(demoSchema, { ...base, cpus: '0' }), usage(/^--cpus must be a number of CPUs from 1 to 16, got "0"$/))
  assert.throws(() => parseOptions(demoSchema, { ...base, rate: 'fast' }), usage(/^--rate must be records per second per CPU from 0/))
  assert.equal(parseOptions(demoSchema, { ...base, killCollector: '2' }).killCollector, 2)
  assert.throws(() => parseOptions(demoSchema, { ...base, killCollector: '11' }), usage(/^--kill-collector must be a number of kills from 0 to 10, got "11"$/))
})

test('demo --out: a new path or an empty directory; anything else is refused before the VM boots', () => {
  const dir = tmp()
  checkOutDir(path.join(dir, 'new'))
  fs.mkdirSync(path.join(dir, 'empty'))
  checkOutDir(path.join(dir, 'empty'))
  fs.mkdirSync(path.join(dir, 'full'))
  fs.writeFileSync(path.join(dir, 'full', 'x'), '')
  assert.throws(() => checkOutDir(path.join(dir, 'full')), usage(/is not empty: give a new path or an empty directory/))
  fs.writeFileSync(path.join(dir, 'file'), '')
  assert.throws(() => checkOutDir(path.join(dir, 'file')), usage(/exists and is not a directory/))
})

test('krelay collect --fsync sometimes: exit 2, one line', () => {
  oneLine(krelay(['collect', '--out', tmp(), '--fsync', 'sometimes']), 2,
    /^krelay collect: --fsync must be always, never or a number of milliseconds, got "sometimes"$/)
})

test('krelay collect without --out: exit 2, one line naming the option, the variable and the key', () => {
  oneLine(krelay(['collect']), 2, /^krelay collect: archive\.out is required: give --out DIR, KRELAY_ARCHIVE_OUT=DIR or \[archive\] out = "DIR" in the --config file$/)
})

test('krelay demo --kernel 5.10 / --records 0 / a non-empty --out: exit 2, one line each, no VM', () => {
  const out = path.join(tmp(), 'archive')
  const args = (patch: Record<string, string>): string[] => Object.entries({ kernel: '6.1', cpus: '2', records: '10', out, ...patch }).flatMap(([k, v]) => [`--${k}`, v])
  oneLine(krelay(['demo', ...args({ kernel: '5.10' })]), 2, /^krelay demo: --kernel must be 6\.1 or 6\.12, got "5\.10"$/)
  oneLine(krelay(['demo', ...args({ records: '0' })]), 2, /^krelay demo: --records must be a number of records per CPU from 1 to 1000000000, got "0"$/)
  fs.mkdirSync(out)
  fs.writeFileSync(path.join(out, 'keep-me'), 'x')
  const t0 = Date.now()
  oneLine(krelay(['demo', ...args({})]), 2, /^krelay demo: --out .* is not empty: give a new path or an empty directory/)
  assert.ok(Date.now() - t0 < 30_000, 'refused without booting')
  assert.deepEqual(fs.readdirSync(out), ['keep-me'])
})

test('krelay demo without --cpus / unknown option / unknown command: exit 2', () => {
  oneLine(krelay(['demo', '--kernel', '6.1', '--records', '1', '--out', '/nonexistent/x']), 2, /^krelay demo: required option '--cpus <n>' not specified/)
  oneLine(krelay(['collect', '--out', '/x', '--bogus']), 2, /^krelay collect: unknown option '--bogus'/)
  oneLine(krelay(['frobnicate']), 2, /^krelay: unknown command 'frobnicate'/)
})

test('a runtime failure: exit 1, one line with the fix; the stack only with KRELAY_DEBUG=1', () => {
  const dir = tmp()
  const args = ['archive', '--from', path.join(dir, 'no-such-capture'), '--out', path.join(dir, 'out')]
  oneLine(krelay(args), 1, /^krelay archive: --from .*no-such-capture does not exist$/)
  const debug = krelay(args, { KRELAY_DEBUG: '1' })
  assert.equal(debug.status, 1)
  assert.match(debug.stderr, /\n\s+at /, 'a stack with KRELAY_DEBUG=1')
  // a channel directory that is not there: collect says so and stops
  const c = krelay(['collect', '--channel', path.join(dir, 'no-channel'), '--out', path.join(dir, 'out2'), '--host', 'h'])
  assert.equal(c.status, 1)
  assert.match(c.stderr.trimEnd().split('\n').at(-1)!, /^krelay collect: .*no-channel does not exist/)
  assert.doesNotMatch(c.stderr, /\n\s+at /)
})

test('--help and --version exit 0', () => {
  const h = krelay(['collect', '--help'])
  assert.equal(h.status, 0)
  assert.match(h.stdout, /--fsync <when>/)
  const v = krelay(['--version'])
  assert.equal(v.status, 0)
  assert.match(v.stdout, /^\d+\.\d+\.\d+\n$/)
})

test('collect --no-compact: compaction off; --compact (hidden) turns it back on over the environment', async () => {
  const { buildProgram } = await import('../../cli/program.ts')
  const compact = (args: string[], env: NodeJS.ProcessEnv = {}): boolean => {
    const collect = buildProgram().commands.find(c => c.name() === 'collect')!
    collect.parseOptions(['--out', '/x', '--host', 'h', ...args])
    return loadConfig({ env, flags: collect.opts() }).config.archive.compact
  }
  assert.equal(compact(['--no-compact']), false)
  assert.equal(compact([]), true)
  assert.equal(compact([], { KRELAY_ARCHIVE_COMPACT: 'false' }), false)
  assert.equal(compact(['--compact'], { KRELAY_ARCHIVE_COMPACT: 'false' }), true)
})
