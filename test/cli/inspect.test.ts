// krelay inspect run as a user runs it, on a simulator collector's archive (v1) and its v2
// copy under another host; the figures checked against DuckDB reading the same files.
import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { PROGRESS_MIN_FILES } from '../../cli/inspect/run.ts'
import { fixtureArchives } from '../offline/archive-fixture.ts'
import { InspectOracle, parquetFiles } from '../offline/inspect-oracle.ts'
import { BIN, krelay } from './run.ts'
import { tempDir } from '../temp-dir.ts'

let dir = ''
let v1 = ''
let v2 = ''
let oracle: InspectOracle
before(async () => {
  dir = tempDir('krelay-inspect-cli-')
  ;({ v1, v2 } = await fixtureArchives(dir))
  oracle = new InspectOracle(await (await DuckDBInstance.create(':memory:')).connect(), v1, v2)
})

test('--json: one document with what DuckDB counts in the files of both archives', async () => {
  const r = krelay(['inspect', v1, v2, '--json'])
  assert.equal(r.status, 0, r.stderr)
  assert.equal(r.stderr, '')
  const doc = JSON.parse(r.stdout) as Record<string, unknown>
  assert.deepEqual(doc, {
    archive: [v1, v2],
    hosts: await oracle.hosts(),
    files: oracle.files(),
    ...await oracle.figures(),
    losses: await oracle.losses(),
  })
})

test('the report: the summary lines and the tables hold the same figures', async () => {
  const r = krelay(['inspect', v1, v2], { COLUMNS: '100' })
  assert.equal(r.status, 0, r.stderr)
  const f = await oracle.figures()
  const lines = r.stdout.split('\n')
  const int = (n: number): string => n.toLocaleString('en-US')
  assert.equal(lines[1], 'hosts     0042, sim')
  assert.match(lines[4]!, new RegExp(`^records   ${int(f.records)}; ${f.averagePerSecond.toFixed(1)}/s on average, busiest second \\S+ with ${int(f.busiestSecond!.records)}$`))
  const lost = (await oracle.losses()).reduce((s, l) => s + l.count, 0)
  assert.match(lines[5]!, new RegExp(`^losses    ${int(lost)} records lost in `))
  for (const c of f.perCpu) assert.ok(lines.some(l => new RegExp(`^│ ${c.cpu} +│ +${int(c.records)} │`).test(l)), `cpu ${c.cpu}`)
  for (const c of f.perLevel) assert.ok(lines.some(l => new RegExp(`^│ ${c.level} +│ +${int(c.records)} │`).test(l)), `level ${c.level}`)
  assert.ok(lines.every(l => [...l].length <= 100))
})

test('--host and --since/--until: the figures of those rows', async () => {
  const [[since, until]] = await oracle.rows(`SELECT quantile_disc(ns, 0.1), quantile_disc(ns, 0.4) FROM ${oracle.records()}`) as [[bigint, bigint]]
  const iso = (ns: bigint): string => new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19) + '.' + String(ns % 1_000_000_000n).padStart(9, '0') + 'Z'
  const r = krelay(['inspect', v1, v2, '--json', '--host', 'sim', '--since', iso(since), '--until', iso(until)])
  assert.equal(r.status, 0, r.stderr)
  const doc = JSON.parse(r.stdout) as Record<string, unknown>
  const f = await oracle.figures(`WHERE host = 'sim' AND ns >= ${since} AND ns < ${until}`)
  assert.ok(f.records > 0)
  for (const [k, v] of Object.entries(f)) assert.deepEqual(doc[k], v, k)
})

test('a progress bar on a terminal (stderr) for an archive of many files, none without one', () => {
  const big = path.join(dir, 'big')
  const src = parquetFiles(v1, 'records')[0]!
  const part = path.join(big, path.relative(v1, path.dirname(src)))
  fs.mkdirSync(part, { recursive: true })
  for (let i = 0; i < PROGRESS_MIN_FILES; i++) fs.copyFileSync(src, path.join(part, `copy-${i}.parquet`))
  const cmd = `stty rows 40 cols 120 && ${process.execPath} ${BIN} inspect ${big}`
  // script(1) gives the command a terminal; its output is what the terminal received
  const tty = spawnSync('script', ['-qefc', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, KRELAY_DEBUG: '' } })
  assert.equal(tty.status, 0, tty.stdout)
  assert.match(tty.stdout, new RegExp(`krelay inspect: scanning ${PROGRESS_MIN_FILES} files \\[[#-]{20}\\] \\d+%`))
  assert.match(tty.stdout, /records {3}[\d,]+;/, 'then the report')
  const piped = krelay(['inspect', big])
  assert.equal(piped.status, 0)
  assert.equal(piped.stderr, '', 'no progress without a terminal')
})

test('bad options and arguments: exit 2, one line naming them', () => {
  const cases: [string[], RegExp][] = [
    [[], /missing required argument 'dir'/],
    [[path.join(dir, 'nope')], /archive directory .*nope does not exist/],
    [[path.join(v1, 'losses')], /holds neither records\/ nor losses\/: give its parent/],
    [[v1, '--since', '5min'], /--since must be an ISO 8601 time/],
    [[v1, '--until', 'now'], /--until must be an ISO 8601 time/],
    [[v1, '--host', 'sim,,x'], /--host must be host names .* got ""/],
    [[v1, '--json', 'extra'], /archive directory extra does not exist/],
    [[v1, '--csv'], /unknown option '--csv'/],
  ]
  for (const [args, re] of cases) {
    const r = krelay(['inspect', ...args])
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`)
    assert.match(r.stderr, re)
    assert.match(r.stderr, /^krelay inspect: [^\n]*\n$/, 'one line')
    assert.equal(r.stdout, '')
  }
})
