// Every option that takes a value, of every command, given values of the wrong type and
// out of range, through the whole program as a user's command line reaches it (main() of
// cli/program.ts, in-process so that the table stays cheap; args.test.ts runs bin/krelay.js
// for the exit status and output wiring): exit 2, one line on stderr naming the command and
// the option, and nothing started (no archive, spool or socket created).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { main } from '../../cli/program.ts'
import { tempDir } from '../temp-dir.ts'

interface Case {
  command: string
  /** a command line valid but for the option under test (which replaces or joins it) */
  base: Record<string, string>
  option: string
  bad: string[]
  /** arguments after the options (krelay query's and inspect's directories and SQL) */
  positional?: string[]
}

const dir = tempDir('krelay-options-')
const out = path.join(dir, 'out')
const spool = path.join(dir, 'spool')
const socket = path.join(dir, 'live.sock')
const capture = path.join(dir, 'no-capture')

const collect = { channel: path.join(dir, 'no-channel'), out, spool, 'live-socket': socket, host: 'h' }
const archive = { from: capture, out, host: 'h' }
const tail = { socket, channel: path.join(dir, 'no-channel') }
const demo = { kernel: '6.12', cpus: '2', records: '10', out }
const archiveDir = path.join(dir, 'archive')
fs.mkdirSync(path.join(archiveDir, 'records'), { recursive: true })
const TIME = ['', 'yesterday', '-5', '-5days', '2026-11-30T06:00:00', '2026-13-01T00:00:00Z']
const HOSTS = ['', 'a/b', '.hidden', 'a b', 'a,,b', 'x'.repeat(254)]
const windowCases = (command: string, positional: string[], base: Record<string, string> = {}): Case[] => [
  { command, base, option: 'since', bad: TIME, positional },
  { command, base, option: 'until', bad: TIME, positional },
  { command, base, option: 'host', bad: HOSTS, positional },
]
const report = { out: path.join(dir, 'report.html') }

const SIZE = ['0', '-1', 'ten', '', '1e3', '0x10', '1,5', 'Infinity', 'NaN']
const cases: Case[] = [
  { command: 'collect', base: collect, option: 'fsync', bad: ['sometimes', '', '-5', '1.5', '1e3', 'Always', '86400001'] },
  ...['file-size', 'segment-size', 'spool-budget', 'live-queue'].map(option => ({ command: 'collect', base: collect, option, bad: [...SIZE, '99999999999'] })),
  ...['file-age', 'segment-age'].map(option => ({ command: 'collect', base: collect, option, bad: [...SIZE, '86401'] })),
  { command: 'collect', base: collect, option: 'host', bad: ['', 'a/b', '.hidden', '-x', 'a b', 'x'.repeat(254), 'h\u00e9'] },
  { command: 'collect', base: collect, option: 'live-group', bad: ['', 'a b', '-wheel', 'a/b', 'g:x'] },
  ...['channel', 'out', 'spool', 'live-socket', 'config'].map(option => ({ command: 'collect', base: collect, option, bad: ['', '  ', 'a\0b'] })),
  { command: 'collect', base: collect, option: 'level', bad: ['', 'loud', '8', '-1', 'ERR', 'warn', '1.0', ' 3'] },
  { command: 'collect', base: collect, option: 'metrics', bad: ['', '9464', ':9464', 'localhost', 'localhost:', 'localhost:65536', '[::1:9464', '[]:80', 'a b:80', '1.2.3.4:-1', 'h:1e3'] },
  { command: 'config show', base: collect, option: 'fsync', bad: ['sometimes', '', '-5'] },
  ...['file-size', 'spool-budget'].map(option => ({ command: 'config show', base: collect, option, bad: ['0', 'ten', '99999999999'] })),
  { command: 'config show', base: collect, option: 'config', bad: ['', ' '] },
  { command: 'archive', base: archive, option: 'file-size', bad: [...SIZE, '99999999999'] },
  { command: 'archive', base: archive, option: 'host', bad: ['', 'a/b', '.hidden', 'x'.repeat(254)] },
  ...['from', 'out'].map(option => ({ command: 'archive', base: archive, option, bad: ['', ' ', 'a\0b'] })),
  { command: 'tail', base: tail, option: 'time', bad: ['', 'UTC', 'gmt', '0'] },
  { command: 'tail', base: tail, option: 'color', bad: ['', 'yes', 'Always', '1'] },
  { command: 'tail', base: tail, option: 'level', bad: ['', 'loud', '8', 'ERR', '-1'] },
  { command: 'tail', base: tail, option: 'cpu', bad: ['', 'a', '-1', '3-1', '1,,2', '65536', '0-70000', '1.5'] },
  { command: 'tail', base: tail, option: 'pid', bad: ['', 'self', '-1', '4294967296', '5-2'] },
  { command: 'tail', base: tail, option: 'type', bad: ['', 'bogus', '0x', '0x12345', '12', 'text,'] },
  { command: 'tail', base: tail, option: 'comm', bad: ['', 'a,,b', 'x'.repeat(17)] },
  { command: 'tail', base: tail, option: 'grep', bad: ['', '(', '[a-', '*x'] },
  { command: 'tail', base: tail, option: 'lines', bad: ['', '-1', 'all', '1.5', '1000000001'] },
  { command: 'tail', base: { ...tail, out }, option: 'since', bad: ['', 'yesterday', '-5', '-5days', '2026-11-30T06:00:00', '2026-13-01T00:00:00Z'] },
  { command: 'tail', base: tail, option: 'archive-wait', bad: [...SIZE, '86401'] },
  ...['socket', 'channel', 'out', 'spool', 'archive'].map(option => ({ command: 'tail', base: tail, option, bad: ['', ' ', 'a\0b'] })),
  { command: 'demo', base: demo, option: 'kernel', bad: ['', '5.10', '6', '6.12.1', 'latest'] },
  { command: 'demo', base: demo, option: 'cpus', bad: ['', '0', '17', '-2', 'two', '1.5'] },
  { command: 'demo', base: demo, option: 'records', bad: ['', '0', '1000000001', '-5', '1e6', 'many'] },
  { command: 'demo', base: demo, option: 'rate', bad: ['', '-1', '10000001', 'fast', '2.5'] },
  { command: 'demo', base: demo, option: 'kill-collector', bad: ['', '-1', '11', 'once'] },
  { command: 'demo', base: demo, option: 'timeout', bad: SIZE },
  { command: 'demo', base: demo, option: 'out', bad: ['', ' ', 'a\0b'] },
  ...windowCases('query', [archiveDir, 'SELECT 1']),
  { command: 'query', base: {}, option: 'max-rows', bad: ['', '0', '-1', 'all', '1.5', '10000001'], positional: [archiveDir, 'SELECT 1'] },
  { command: 'query', base: {}, option: 'parquet', bad: ['', ' ', 'a\0b'], positional: [archiveDir, 'SELECT 1'] },
  ...windowCases('inspect', [archiveDir]),
  ...windowCases('compact', [archiveDir]),
  { command: 'compact', base: {}, option: 'grace', bad: [...SIZE, '1441'], positional: [archiveDir] },
  { command: 'compact', base: {}, option: 'file-size', bad: [...SIZE, '99999999999'], positional: [archiveDir] },
  { command: 'compact', base: {}, option: 'zstd-level', bad: ['', '0', '23', 'max', '1.5'], positional: [archiveDir] },
  { command: 'compact', base: {}, option: 'row-group-size', bad: ['', '0', '2047', 'all', '10000001'], positional: [archiveDir] },
  ...windowCases('report', [archiveDir], report),
  { command: 'report', base: report, option: 'out', bad: ['', ' ', 'a\0b'], positional: [archiveDir] },
]

interface Result { status: number, stderr: string }

/**
 * Runs main() with stderr captured. stdout is left alone: under `node --test` it carries the
 * runner's own reports; args.test.ts checks that usage errors write nothing there.
 */
async function run (argv: string[]): Promise<Result> {
  let stderr = ''
  const write = process.stderr.write
  process.stderr.write = ((s: string | Uint8Array) => { stderr += String(s); return true }) as typeof process.stderr.write
  try {
    return { status: await main(argv), stderr }
  } finally {
    process.stderr.write = write
  }
}

const argv = (c: Case, value: string): string[] =>
  [...c.command.split(' '), ...Object.entries({ ...c.base, [c.option]: value }).flatMap(([k, v]) => [`--${k}`, v]), ...(c.positional ?? [])]

test(`${cases.reduce((n, c) => n + c.bad.length, 0)} bad option values over every command: exit 2, one line naming the option, nothing started`, async () => {
  for (const c of cases) {
    for (const value of c.bad) {
      const line = argv(c, value)
      const what = `krelay ${line.map(a => JSON.stringify(a)).join(' ')}`
      const r = await run(line)
      assert.equal(r.status, 2, `${what}: exit status; stderr: ${r.stderr}`)
      const lines = r.stderr.trimEnd().split('\n')
      assert.equal(lines.length, 1, `${what}: one line, got:\n${r.stderr}`)
      assert.ok(lines[0]!.startsWith(`krelay ${c.command}: `), `${what}: the line names the command: ${lines[0]}`)
      assert.ok(lines[0]!.includes(`--${c.option}`), `${what}: the line names --${c.option}: ${lines[0]}`)
      for (const made of [out, spool, socket]) assert.ok(!fs.existsSync(made), `${what}: created ${made}`)
    }
  }
})

test('each base command line is refused only for what is missing on this host (exit 1), not as a usage error', async () => {
  // the table above proves something only if its base lines pass validation
  for (const [command, base] of [['collect', collect], ['archive', archive], ['tail', tail]] as const) {
    const r = await run([command, ...Object.entries(base).flatMap(([k, v]) => [`--${k}`, v])])
    assert.equal(r.status, 1, `krelay ${command}: ${r.stderr}`)
  }
})
