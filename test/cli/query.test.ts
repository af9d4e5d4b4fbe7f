// krelay query run as a user runs it, on a simulator collector's archive (format v1) and
// its v2 copy under another host; every output is checked against DuckDB reading the
// same Parquet files directly.
import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import fs from 'node:fs'
import path from 'node:path'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { lit } from '../../collector/archive/sql.ts'
import { fixtureArchives } from '../offline/archive-fixture.ts'
import { BIN, krelay } from './run.ts'
import { tempDir } from '../temp-dir.ts'

let dir = ''
let v1 = ''
let v2 = ''
let conn: DuckDBConnection
before(async () => {
  dir = tempDir('krelay-query-')
  ;({ v1, v2 } = await fixtureArchives(dir))
  conn = await (await DuckDBInstance.create(':memory:')).connect()
  await conn.run('SET TimeZone = \'UTC\'')
})

const raw = (d: string, dataset = 'records'): string =>
  `read_parquet(${lit(path.join(d, dataset, '**/*.parquet'))}, hive_partitioning = true, hive_types = {'host': 'VARCHAR'})`

/** krelay with room for a large stdout (spawnSync keeps 1 MiB by default). */
function krelayBig (args: string[]): { status: number | null, stdout: string, stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, KRELAY_DEBUG: '' } })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

async function rows (sql: string): Promise<unknown[][]> {
  return (await conn.runAndReadAll(sql)).getRowsJS()
}

/** What DuckDB's own COPY writes as CSV for `sql`. */
async function duckCsv (sql: string): Promise<string> {
  const file = path.join(dir, `oracle-${Math.random().toString(16).slice(2)}.csv`)
  await conn.run(`COPY (${sql}) TO ${lit(file)} (FORMAT csv)`)
  return fs.readFileSync(file, 'utf8')
}

test('--csv is what DuckDB\'s COPY writes for the same rows read from the files, v1 and v2 alike', async () => {
  const cols = 'cpu, seq, level, type, ctx, pid, comm, msg, data, channel_id'
  const q = krelayBig(['query', v1, v2, '--csv', `SELECT host, ts, ts_nanos, ts_ns, mono_ns, ${cols} FROM records ORDER BY host, ts_ns, cpu`])
  assert.equal(q.status, 0, q.stderr)
  assert.equal(q.stderr, '')
  const v1Rows = `SELECT host, make_timestamptz(epoch_us(ts)) AS ts, (epoch_ns(ts) % 1000)::INTEGER AS ts_nanos, epoch_ns(ts) AS ts_ns, mono_ns,
    cpu, seq::BIGINT AS seq, level, type, ctx, pid, comm, msg, data, channel_id FROM ${raw(v1)}`
  const v2Rows = `SELECT host, ts, ts_nanos, epoch_us(ts) * 1000 + ts_nanos AS ts_ns, epoch_us(ts) * 1000 + ts_nanos - mono_offset_ns AS mono_ns, ${cols} FROM ${raw(v2)}`
  const expected = await duckCsv(`SELECT * FROM (${v1Rows} UNION ALL ${v2Rows}) ORDER BY host, ts_ns, cpu`)
  assert.ok(expected.split('\n').length > 9000, 'both archives, every record')
  assert.equal(q.stdout, expected)
  // one SELECT has DuckDB build the lines (csv-lines.ts); after another statement, JavaScript does
  const js = krelayBig(['query', v1, v2, '--csv', `SET threads = 2; SELECT host, ts, ts_nanos, ts_ns, mono_ns, ${cols} FROM records ORDER BY host, ts_ns, cpu`])
  assert.equal(js.status, 0, js.stderr)
  assert.equal(js.stdout, expected)
  // SQL that cannot be wrapped (a note after the ;) goes the JavaScript way
  const note = krelay(['query', v1, '--csv', 'SELECT count(*) AS n FROM records; -- all of them'])
  const [[n]] = await rows(`SELECT count(*) FROM ${raw(v1)}`) as [[bigint]]
  assert.equal(note.status, 0, note.stderr)
  assert.equal(note.stdout, `n\n${n}\n`)
})

test('--json: one object per row; BIGINT beyond 2^53 as exact strings, others as numbers; BLOB as hex; TIMESTAMPTZ as RFC 3339 UTC', async () => {
  const q = krelayBig(['query', v1, '--json', 'SELECT ts, ts_ns, cpu, seq, msg, data, count(*) OVER () AS n FROM records ORDER BY ts_ns, cpu'])
  assert.equal(q.status, 0, q.stderr)
  const lines = q.stdout.trimEnd().split('\n').map(l => JSON.parse(l) as Record<string, unknown>)
  const expected = await rows(`SELECT strftime(ts, '%Y-%m-%dT%H:%M:%S.%fZ'), epoch_ns(ts)::VARCHAR, cpu, seq::INTEGER, msg, lower(hex(data)), count(*) OVER ()
    FROM ${raw(v1)} ORDER BY ts, cpu`)
  assert.equal(lines.length, expected.length)
  lines.forEach((l, i) => {
    const [ts, ns, cpu, seq, msg, data, n] = expected[i]!
    assert.deepEqual(l, { ts, ts_ns: ns, cpu, seq, msg, data, n: Number(n) }, `row ${i + 1}`)
  })
  const js = krelayBig(['query', v1, '--json', 'SET threads = 1; SELECT ts, ts_ns, cpu, seq, msg, data, count(*) OVER () AS n FROM records ORDER BY ts_ns, cpu'])
  assert.equal(js.stdout, q.stdout, 'the same lines when JavaScript writes them')
})

test('--json of each type as cli/README.md says, the same whether DuckDB builds the lines (one SELECT) or JavaScript does', () => {
  const select = `SELECT 1 AS a, 2 AS a, NULL AS n, 'NaN'::DOUBLE AS nan, -1e308 * 10 AS ninf, 0.5::FLOAT AS f, 9007199254740991 AS safe,
    9007199254740992 AS unsafe, -9007199254740992 AS unsafe_neg, 18446744073709551615::UBIGINT AS u64, 12::HUGEINT AS h, '\\x00\\xff\\x5c'::BLOB AS b,
    DATE '2026-03-09' AS d, TIMESTAMPTZ '2026-03-09 07:00:06.5+00' AS tz, 1.25::DECIMAL(5,2) AS dec, true AS t, 'a"b\nc\u00e9' AS s, 7::TINYINT AS i8`
  const expected = {
    a: 1,
    'a:1': 2,
    n: null,
    nan: 'NaN',
    ninf: '-Infinity',
    f: 0.5,
    safe: 9007199254740991,
    unsafe: '9007199254740992',
    unsafe_neg: '-9007199254740992',
    u64: '18446744073709551615',
    h: 12,
    b: '00ff5c',
    d: '2026-03-09',
    tz: '2026-03-09T07:00:06.500000Z',
    dec: 1.25,
    t: true,
    s: 'a"b\nc\u00e9',
    i8: 7,
  }
  const fast = krelay(['query', v1, '--json', select])
  const js = krelay(['query', v1, '--json', `SET threads = 1; ${select}`])
  assert.equal(fast.status, 0, fast.stderr)
  assert.deepEqual(JSON.parse(fast.stdout), expected)
  assert.equal(js.stdout, fast.stdout)
  // a nested column: JavaScript writes every line
  const nested = krelay(['query', v1, '--json', 'SELECT [1, 9007199254740993] AS l, {\'k\': \'\\x01\'::BLOB} AS s'])
  assert.deepEqual(JSON.parse(nested.stdout), { l: [1, '9007199254740993'], s: { k: '01' } })
})

test('the table: the first and last rows of the result, the count, within $COLUMNS', async () => {
  const [[n]] = await rows(`SELECT count(*) FROM ${raw(v1)}`) as [[bigint]]
  const q = krelay(['query', v1, '--max-rows', '4', 'SELECT cpu, seq, level FROM records ORDER BY ts_ns, cpu'], { COLUMNS: '40' })
  assert.equal(q.status, 0, q.stderr)
  const lines = q.stdout.trimEnd().split('\n')
  assert.equal(lines.at(-1), `${n} rows (4 shown), 3 columns`)
  const body = lines.filter(l => l.startsWith('│')).slice(2).map(l => l.split('│').slice(1, -1).map(c => c.trim()))
  const numbered = `SELECT cpu::VARCHAR, seq::VARCHAR, level, row_number() OVER (ORDER BY ts, cpu) AS i FROM ${raw(v1)}`
  const ends = await rows(`SELECT * EXCLUDE (i) FROM (${numbered}) WHERE i <= 2 OR i > ${n} - 2 ORDER BY i`)
  assert.deepEqual(body, [ends[0], ends[1], ['·', '·', '·'], ends[2], ends[3]])
  assert.ok(lines.every(l => [...l].length <= 40), lines.join('\n'))
  // the last rows spread over several chunks of 2048
  const many = krelay(['query', v1, '--max-rows', '5000', 'SELECT i FROM range(10000) t(i) ORDER BY i'])
  const shown = many.stdout.split('\n').filter(l => l.startsWith('│')).slice(2).map(l => l.slice(1, -1).trim())
  assert.deepEqual(shown, [...Array.from({ length: 2500 }, (_, i) => String(i)), '·', ...Array.from({ length: 2500 }, (_, i) => String(7500 + i))])
  assert.match(many.stdout, /\n10000 rows \(5000 shown\), 1 column\n$/)
  const wide = krelay(['query', v1, 'SELECT * FROM records'], { COLUMNS: '60' })
  assert.ok(wide.stdout.trimEnd().split('\n').every(l => [...l].length <= 60), wide.stdout)
  assert.match(wide.stdout, /, 18 columns \(\d shown\)\n$/)
})

test('--parquet FILE: the result as a Parquet file', async () => {
  const file = path.join(dir, 'losses.parquet')
  const q = krelay(['query', v1, '--parquet', file, 'SELECT cpu, first_seq, count, reason, ts_from_ns FROM losses'])
  assert.equal(q.status, 0, q.stderr)
  const [[n]] = await rows(`SELECT count(*) FROM ${raw(v1, 'losses')}`) as [[bigint]]
  assert.ok(n > 0n)
  assert.equal(q.stderr, `krelay query: ${n} rows written to ${file}\n`)
  const diff = await rows(`SELECT count(*) FROM ((SELECT * FROM read_parquet(${lit(file)})) EXCEPT ALL
    (SELECT cpu, first_seq::BIGINT, count::BIGINT, reason, epoch_ns(ts_from) FROM ${raw(v1, 'losses')}))`)
  assert.deepEqual(diff, [[0n]])
})

test('--host (repeated or a list) and --since/--until choose the rows; statements before the last run first', async () => {
  const count = (args: string[]): string => {
    const q = krelay(['query', v1, v2, '--csv', ...args, 'SET threads = 1; SELECT host, count(*) AS n FROM records GROUP BY host ORDER BY host'])
    assert.equal(q.status, 0, q.stderr)
    return q.stdout
  }
  const [[all]] = await rows(`SELECT count(*) FROM ${raw(v1)}`) as [[bigint]]
  assert.equal(count(['--host', '0042']), `host,n\n0042,${all}\n`)
  assert.equal(count(['--host', 'sim', '--host', '0042']), `host,n\n0042,${all}\n${'sim'},${all}\n`)
  assert.equal(count(['--host', 'sim,0042']), `host,n\n0042,${all}\nsim,${all}\n`)
  const [[since, until]] = await rows(`SELECT quantile_disc(epoch_ns(ts), 0.25), quantile_disc(epoch_ns(ts), 0.5) FROM ${raw(v1)}`) as [[bigint, bigint]]
  const iso = (ns: bigint): string => new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19) + '.' + String(ns % 1_000_000_000n).padStart(9, '0') + 'Z'
  const [[inWindow]] = await rows(`SELECT count(*) FROM ${raw(v1)} WHERE epoch_ns(ts) >= ${since} AND epoch_ns(ts) < ${until}`) as [[bigint]]
  assert.ok(inWindow > 0n && inWindow < all)
  assert.equal(count(['--host', 'sim', '--since', iso(since), '--until', iso(until)]), `host,n\nsim,${inWindow}\n`)
  assert.equal(count(['--since', '-1h']), 'host,n\n', 'nothing in the last hour: the archive is from March')
})

test('rows stream: a result five times the JavaScript heap the process is given', () => {
  // 1,000,000 JSON lines of about 230 bytes (230 MB) through a 40 MiB heap
  const r = spawnSync('bash', ['-c', `node --max-old-space-size=40 ${BIN} query ${v1} --json "SELECT i, repeat('x', 200) AS s FROM range(1000000) t(i)" | tail -1; echo "status=\${PIPESTATUS[0]}"`],
    { encoding: 'utf8' })
  assert.equal(r.stdout, `{"i":999999,"s":"${'x'.repeat(200)}"}\nstatus=0\n`, r.stderr)
})

test('a closed pipe ends the query quietly, exit 0', () => {
  const r = spawnSync('bash', ['-c', `node ${BIN} query ${v1} --csv 'SELECT * FROM range(2000000)' | head -2; echo "status=\${PIPESTATUS[0]}"`], { encoding: 'utf8' })
  assert.equal(r.stdout, 'range\n0\nstatus=0\n')
  assert.equal(r.stderr, '')
})

test('SIGINT or SIGTERM while a query runs: exit 130, "interrupted", DuckDB\'s spill directory removed', async () => {
  const tmp = tempDir('krelay-query-tmp-')
  const spill = (): string[] => fs.readdirSync(tmp).filter(n => n.startsWith('krelay-duckdb-'))
  for (const [signal, args] of [['SIGINT', ['--csv', 'SELECT sum(hash(i) % 7) FROM range(30000000000) t(i)']], ['SIGTERM', ['--json', 'SELECT i, hash(i) FROM range(30000000000) t(i)']]] as const) {
    const child = spawn(process.execPath, [BIN, 'query', v1, ...args], { env: { ...process.env, TMPDIR: tmp, KRELAY_DEBUG: '' }, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString() })
    // running once its spill directory exists (made before the query starts), and a little more
    for (let i = 0; i < 200 && spill().length === 0; i++) await sleep(50)
    assert.equal(spill().length, 1, 'the spill directory')
    await sleep(1000)
    child.kill(signal)
    const [code] = await once(child, 'close') as [number | null]
    assert.equal(code, 130, stderr)
    assert.equal(stderr, 'krelay query: interrupted\n')
    assert.deepEqual(spill(), [], 'removed')
  }
})

test('a SQL error: DuckDB\'s message and the query, one line, exit 1', () => {
  const q = krelay(['query', v1, 'SELECT nope FROM records'])
  assert.equal(q.status, 1)
  assert.equal(q.stdout, '')
  assert.equal(q.stderr, 'krelay query: Binder Error: Referenced column "nope" not found in FROM clause! (in the query: SELECT nope FROM records)\n')
  const parse = krelay(['query', v1, '--json', 'SELEC 1'])
  assert.equal(parse.status, 1)
  assert.match(parse.stderr, /^krelay query: Parser Error: syntax error at or near "SELEC" \(in the query: SELEC 1\)\n$/)
})

test('a damaged file: exit 1 naming it', () => {
  const bad = path.join(dir, 'damaged')
  fs.cpSync(v1, bad, { recursive: true })
  const file = (fs.readdirSync(path.join(bad, 'records'), { recursive: true }) as string[]).find(n => n.endsWith('.parquet'))!
  const p = path.join(bad, 'records', file)
  fs.truncateSync(p, 1000)
  const q = krelay(['query', bad, 'SELECT count(*) FROM records'])
  assert.equal(q.status, 1)
  assert.equal(q.stderr, `krelay query: reading the archive in ${bad}: Invalid Input Error: No magic bytes found at end of file '${p}'\n`)
})

test('bad options and arguments: exit 2, one line naming them', () => {
  const cases: [string[], RegExp][] = [
    [[v1], /give one or more archive directories, then the SQL/],
    [[path.join(dir, 'nope'), 'SELECT 1'], /archive directory .*nope does not exist/],
    [[path.join(v1, 'records'), 'SELECT 1'], /holds neither records\/ nor losses\/: give its parent/],
    [[v1, '--csv', '--json', 'SELECT 1'], /--csv and --json exclude each other/],
    [[v1, '--json', '--max-rows', '3', 'SELECT 1'], /--max-rows is for the table/],
    [[v1, '--max-rows', '0', 'SELECT 1'], /--max-rows must be an integer from 1 to 10000000, got "0"/],
    [[v1, '--since', 'yesterday', 'SELECT 1'], /--since must be an ISO 8601 time/],
    [[v1, '--until', '2026-01-01T00:00:00', 'SELECT 1'], /--until must be an ISO 8601 time/],
    [[v1, '--since', '-1h', '--until', '-2h', 'SELECT 1'], /--since must be before --until/],
    [[v1, '--host', 'a b', 'SELECT 1'], /--host must be host names .* got "a b"/],
    [[v1, '--parquet', path.join(dir, 'x.parquet'), 'SELECT 1; SELECT 2'], /--parquet writes the result of one query; the SQL holds 2 statements/],
    [[v1, ' '], /the SQL is empty/],
    [[v1, '--bogus', 'SELECT 1'], /unknown option '--bogus'/],
  ]
  for (const [args, re] of cases) {
    const q = krelay(['query', ...args])
    assert.equal(q.status, 2, `${args.join(' ')}: ${q.stderr}`)
    assert.match(q.stderr, re)
    assert.match(q.stderr, /^krelay query: [^\n]*\n$/, 'one line')
    assert.equal(q.stdout, '')
  }
})
