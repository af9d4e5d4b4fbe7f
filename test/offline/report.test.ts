// The report's data (offline/report/gather.ts) against plain DuckDB queries of the same
// archive, one question at a time; the bucket rule; the page's escaping.
import { before, after, test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import type { DuckDBConnection } from '@duckdb/node-api'
import { openArchive, type ArchiveDb } from '../../offline/archive-db.ts'
import { BUCKET_WIDTHS, chooseBuckets, MAX_BUCKETS } from '../../offline/report/buckets.ts'
import { gatherReport, seriesSet } from '../../offline/report/gather.ts'
import { BUSIEST_N, MAX_SERIES, TOP_N, type ReportData, type SeriesSet } from '../../offline/report/data.ts'
import { escapeHtml, renderPage, scriptJson } from '../../offline/report/page.ts'
import { tempDir } from '../temp-dir.ts'
import { HOSTILE_COMMS, simArchive } from './report-archive.ts'
import { copyAs } from './archive-fixture.ts'

let out = ''
let db: ArchiveDb
let data: ReportData

before(async () => {
  out = (await simArchive(tempDir('krelay-report-'))).out
  db = await openArchive([out])
  data = await gatherReport(db.conn, { dirs: [out] })
})
after(() => db?.close())

async function rows (conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[]
}

/** Dense per-bucket series from (name, bucket, n) rows, names in first-seen order unless given. */
function dense (r: Record<string, unknown>[], count: number): Map<string, number[]> {
  const m = new Map<string, number[]>()
  for (const row of r) {
    const name = String(row.name)
    if (!m.has(name)) m.set(name, new Array<number>(count).fill(0))
    m.get(name)![Number(row.b)]! += Number(row.n)
  }
  return m
}

function assertSeries (got: SeriesSet, want: Map<string, number[]>, what: string): void {
  assert.deepEqual([...got.names].sort(), [...want.keys()].sort(), `${what}: series`)
  got.names.forEach((name, i) => assert.deepEqual(got.values[i], want.get(name), `${what}: ${name}`))
}

test('buckets: a round width, the smallest with at most 600 buckets, aligned, covering the range', () => {
  const S = 1_000_000_000n
  const from = 1_773_039_599_383_848_943n
  for (const span of [0n, 7_000_000n, S, 240n * S, 3600n * S, 86_400n * S, 30n * 86_400n * S, 3n * 365n * 86_400n * S]) {
    const b = chooseBuckets(from, from + span)
    assert.ok(BUCKET_WIDTHS.includes(b.widthNs), `${span}: width ${b.widthNs} is a round one`)
    assert.ok(b.count <= MAX_BUCKETS, `${span}: ${b.count} buckets`)
    assert.ok(b.firstIndex * b.widthNs <= from && from + span < (b.firstIndex + BigInt(b.count)) * b.widthNs, `${span}: covers the range`)
    const smaller = BUCKET_WIDTHS[BUCKET_WIDTHS.indexOf(b.widthNs) - 1]
    if (smaller !== undefined) {
      assert.ok((from + span) / smaller - from / smaller + 1n > BigInt(MAX_BUCKETS), `${span}: ${smaller} ns would do`)
      assert.ok(b.count >= 200, `${span}: only ${b.count} buckets`)
    }
  }
  assert.throws(() => chooseBuckets(2n, 1n), /ends/)
})

test('totals, range and buckets are those of the archive', async () => {
  const [r] = await rows(db.conn, `SELECT (SELECT count(*) FROM records) AS records, (SELECT sum(count) FROM losses) AS lost,
    (SELECT count(*) FROM losses) AS loss_rows, (SELECT count(DISTINCT cpu) FROM records) AS cpus, (SELECT count(DISTINCT comm) FROM records) AS comms,
    (SELECT count(DISTINCT pid) FROM records) AS pids, (SELECT count(DISTINCT type) FROM records) AS types,
    least((SELECT min(ts_ns) FROM records), (SELECT min(ts_from_ns) FROM losses)) AS first,
    greatest((SELECT max(ts_ns) FROM records), (SELECT max(ts_from_ns) FROM losses)) AS last`)
  assert.ok(Number(r!.lost) > 1000, 'the fixture lost records (the burst)')
  assert.deepEqual(data.totals, {
    records: Number(r!.records), lostRecords: Number(r!.lost), lossRows: Number(r!.loss_rows), cpus: Number(r!.cpus), comms: Number(r!.comms), pids: Number(r!.pids), types: Number(r!.types),
  })
  assert.equal(data.firstNs, String(r!.first))
  assert.equal(data.lastNs, String(r!.last))
  assert.deepEqual(data.hosts, ['sim'])
  const b = chooseBuckets(BigInt(data.firstNs), BigInt(data.lastNs))
  assert.deepEqual(data.bucket, { startMs: Number(b.firstIndex * b.widthNs / 1_000_000n), widthMs: Number(b.widthNs / 1_000_000n), count: b.count, label: '500 ms' })
})

test('records per CPU, level and type, and losses per reason, per bucket, are those DuckDB counts', async () => {
  const start = `${BigInt(data.bucket.startMs) * 1_000_000n}`
  const width = `${BigInt(data.bucket.widthMs) * 1_000_000n}`
  const per = async (name: string): Promise<Map<string, number[]>> =>
    dense(await rows(db.conn, `SELECT ${name} AS name, (ts_ns - ${start}) // ${width} AS b, count(*) AS n FROM records GROUP BY ALL`), data.bucket.count)
  assertSeries(data.cpus, await per("'cpu ' || cpu"), 'cpus')
  assertSeries(data.levels, await per('level'), 'levels')
  assertSeries(data.types, await per('type'), 'types')
  assertSeries(data.losses, dense(await rows(db.conn, `SELECT reason AS name, (ts_from_ns - ${start}) // ${width} AS b, sum(count) AS n FROM losses GROUP BY ALL`), data.bucket.count), 'losses')
  assert.deepEqual(data.levels.names, ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'], 'levels by severity')
  assert.deepEqual(data.lossRows, { dropped: Number((await rows(db.conn, 'SELECT count(*) AS n FROM losses'))[0]!.n) })
})

test('top comms and pids (with their main comm) are those DuckDB ranks first', async () => {
  const comms = await rows(db.conn, `SELECT comm, count(*) AS n FROM records GROUP BY comm ORDER BY n DESC, comm LIMIT ${TOP_N}`)
  assert.deepEqual(data.topComms, comms.map(r => ({ label: String(r.comm), count: Number(r.n) })))
  assert.ok(HOSTILE_COMMS.every(c => data.topComms.some(t => t.label === c)), 'the hostile comms are there, unchanged')
  const pids = await rows(db.conn, `SELECT pid, count(*) AS n,
      (SELECT comm FROM records r2 WHERE r2.pid = r.pid GROUP BY comm ORDER BY count(*) DESC, comm LIMIT 1) AS comm
    FROM records r GROUP BY pid ORDER BY n DESC, pid LIMIT ${TOP_N}`)
  assert.deepEqual(data.topPids, pids.map(r => ({ label: `${String(r.pid)} (${String(r.comm)})`, count: Number(r.n) })))
})

test('the busiest seconds, with their busiest CPU and comm and their losses', async () => {
  const secs = await rows(db.conn, `WITH s AS (SELECT ts_ns // 1000000000 AS sec, cpu, comm FROM records)
    SELECT sec, count(*) AS n,
      (SELECT cpu FROM s s2 WHERE s2.sec = s.sec GROUP BY cpu ORDER BY count(*) DESC, cpu LIMIT 1) AS cpu,
      (SELECT count(*) FROM s s2 WHERE s2.sec = s.sec GROUP BY cpu ORDER BY count(*) DESC, cpu LIMIT 1) AS cpu_n,
      (SELECT comm FROM s s2 WHERE s2.sec = s.sec GROUP BY comm ORDER BY count(*) DESC, comm LIMIT 1) AS comm,
      (SELECT count(*) FROM s s2 WHERE s2.sec = s.sec GROUP BY comm ORDER BY count(*) DESC, comm LIMIT 1) AS comm_n,
      coalesce((SELECT sum(count) FROM losses WHERE ts_from_ns // 1000000000 = s.sec), 0) AS lost
    FROM s GROUP BY sec ORDER BY n DESC, sec LIMIT ${BUSIEST_N}`)
  assert.deepEqual(data.busiest, secs.map(r => ({
    startMs: Number(r.sec) * 1000, records: Number(r.n), lost: Number(r.lost), topCpu: `cpu ${String(r.cpu)}`, topCpuRecords: Number(r.cpu_n), topComm: String(r.comm), topCommRecords: Number(r.comm_n),
  })))
  assert.ok(data.busiest.some(s => s.lost > 0), 'the burst\'s second is among them, with its losses')
})

test('two archives of two hosts: one series per host and CPU, everything counted once per host', async () => {
  const second = path.join(tempDir('krelay-report-2-'), 'archive')
  fs.cpSync(out, second, { recursive: true })
  for (const ds of ['records', 'losses']) fs.renameSync(path.join(second, ds, 'host=sim'), path.join(second, ds, 'host=sim2'))
  const both = await openArchive([out, second])
  try {
    const d = await gatherReport(both.conn, { dirs: [out, second] })
    assert.deepEqual(d.hosts, ['sim', 'sim2'])
    assert.deepEqual(d.cpus.names, ['sim cpu 0', 'sim cpu 1', 'sim cpu 2', 'sim2 cpu 0', 'sim2 cpu 1', 'sim2 cpu 2'])
    assert.deepEqual(d.cpus.values.slice(3), d.cpus.values.slice(0, 3), 'the copy counts as the original')
    assert.equal(d.totals.records, 2 * data.totals.records)
    assert.equal(d.totals.lostRecords, 2 * data.totals.lostRecords)
    assert.equal(d.totals.cpus, 6)
    assert.equal(d.topPids[0]!.count, data.topPids[0]!.count, 'a pid is per host')
  } finally {
    both.close()
  }
})

test('format version 1 and 2 files of the same rows give the same report', async () => {
  for (const version of [1, 2] as const) {
    const copy = path.join(tempDir(`krelay-report-v${version}-`), 'archive')
    await copyAs(out, copy, 'sim', version)
    const db = await openArchive([copy])
    try {
      assert.ok(db.files.length > 0 && db.files.every(f => f.version === version), `read as v${version}`)
      assert.deepEqual(await gatherReport(db.conn, { dirs: [out] }), data)
    } finally {
      db.close()
    }
  }
})

test(`more than ${MAX_SERIES} series: the largest ${MAX_SERIES - 1} kept, the rest summed into other`, () => {
  const cells = new Map<string, Map<number, number>>()
  for (let i = 0; i < 15; i++) cells.set(`s${i}`, new Map([[0, i + 1], [2, 100 * (i + 1)]]))
  const set = seriesSet(cells, 3, [...cells.keys()])
  assert.deepEqual(set.names, ['s4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 's12', 's13', 's14', 'other'])
  assert.deepEqual(set.values.at(-1), [1 + 2 + 3 + 4, 0, 100 * (1 + 2 + 3 + 4)])
  assert.deepEqual(set.values[0], [5, 0, 500])
})

test('the page: strings from the archive escaped, the JSON cannot end its script, no load of anything', () => {
  assert.equal(escapeHtml('<a href="x">&\'</a>'), '&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;')
  const json = scriptJson({ s: '</script><!-- \u2028 &' })
  assert.doesNotMatch(json, /[<>&\u2028]/)
  assert.deepEqual(JSON.parse(json), { s: '</script><!-- \u2028 &' })
  const html = renderPage({ ...data, hosts: ['<i>host</i>'], dirs: ['</script>dir'] })
  assert.equal(html.match(/<\/script/gi)?.length, 2, 'only the two scripts end a script')
  assert.equal(html.match(/<script/gi)?.length, 2)
  assert.doesNotMatch(html, /<i>host|<b>x|<img/, 'no markup from the archive')
  assert.match(html, /&lt;i&gt;host&lt;\/i&gt;/)
  assert.match(html, /&lt;\/script&gt;&lt;b&gt;x/, 'the hostile comm, escaped, in the busiest seconds')
  assert.match(html, /Content-Security-Policy" content="default-src 'none';/)
  assert.doesNotMatch(html, /<[a-z][^>]*\s(src|href)\s*=|url\(|@import/i, 'nothing to load')
  const embedded = /<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)
  assert.deepEqual(JSON.parse(embedded![1]!), { ...data, hosts: ['<i>host</i>'], dirs: ['</script>dir'] })
})
