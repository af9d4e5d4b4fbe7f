// krelay report as a user runs it, on an archive `krelay collect` made from the simulator
// (with losses), and the page rendered in headless Chromium with no network: no script
// error, every chart drew as many points as DuckDB counts in the same archive, and the
// screenshot has colour in every chart's box.
import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { openArchive } from '../../offline/archive-db.ts'
import type { ReportData } from '../../offline/report/data.ts'
import { countPixels, readPng } from '../png.ts'
import { HOSTILE_COMMS, simArchive } from '../offline/report-archive.ts'
import { krelay } from './run.ts'
import { tempDir } from '../temp-dir.ts'

const CHROMIUM = process.env.KRELAY_CHROMIUM ?? '/usr/bin/chromium'
const WINDOW = [1400, 2400] as const

let dir = ''
let out = ''

before(async () => {
  dir = tempDir('krelay-report-cli-')
  out = (await simArchive(dir)).out
})

interface Render { dom: string, log: string }

/** Chromium on `file`, its network namespace empty when we may make one (root): --dump-dom, or --screenshot=PNG. */
function chromium (file: string, mode: '--dump-dom' | `--screenshot=${string}`): Render {
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--enable-logging=stderr', '--v=0', '--host-resolver-rules=MAP * ~NOTFOUND',
    '--proxy-server=http://127.0.0.1:9', `--window-size=${WINDOW.join(',')}`, '--hide-scrollbars', mode, `file://${file}`]
  const root = process.getuid?.() === 0
  const r = spawnSync(root ? 'unshare' : CHROMIUM, root ? ['-n', CHROMIUM, ...args] : args, { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 })
  assert.equal(r.status, 0, `chromium: ${r.stderr}`)
  return { dom: r.stdout, log: r.stderr }
}

interface Summary { charts: Record<string, { points: number, total: number, box: { x: number, y: number, w: number, h: number } }>, errors: string[] }

function summaryOf (r: Render): Summary {
  assert.match(r.dom, /<body[^>]* data-rendered="ok"/, 'the script ran to its end with no error')
  // Chromium's own pages (chrome://omnibox-popup...) log now and then, e.g. "Slow network is detected"
  const ours = r.log.split('\n').filter(l => /:CONSOLE[(:]/.test(l) && !/source: chrome:\/\//.test(l))
  assert.deepEqual(ours, [], 'nothing on the page\'s console')
  const m = /<pre id="render-summary"[^>]*>(.*?)<\/pre>/s.exec(r.dom)
  assert.ok(m, 'the page wrote its summary')
  return JSON.parse(m[1]!.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&')) as Summary
}

function embedded (html: string): ReportData {
  const m = /<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)
  return JSON.parse(m![1]!) as ReportData
}

async function one (conn: DuckDBConnection, sql: string): Promise<number> {
  const r = (await conn.runAndReadAll(sql)).getRowsJS()
  return Number(r[0]?.[0] ?? 0)
}

/** What each chart must have drawn: non-zero (series, bucket) cells or bars or rows, and their sum, by DuckDB. */
async function expected (d: ReportData, since?: string): Promise<Record<string, { points: number, total: number }>> {
  const db = await openArchive([out], since === undefined ? {} : { since: BigInt(Date.parse(since)) * 1_000_000n })
  const c = db.conn
  const b = (col: string): string => `(${col} - ${BigInt(d.bucket.startMs) * 1_000_000n}) // ${BigInt(d.bucket.widthMs) * 1_000_000n}`
  const cells = (what: string): Promise<number> => one(c, `SELECT count(DISTINCT (${what}, ${b('ts_ns')})) FROM records`)
  const top = async (col: string, n: number): Promise<{ points: number, total: number }> => ({
    points: await one(c, `SELECT count(*) FROM (SELECT ${col} FROM records GROUP BY ALL LIMIT ${n})`),
    total: await one(c, `SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM records GROUP BY ${col} ORDER BY n DESC LIMIT ${n})`),
  })
  try {
    const records = await one(c, 'SELECT count(*) FROM records')
    return {
      'chart-cpus': { points: await cells('cpu'), total: records },
      'chart-losses': {
        points: await one(c, `SELECT count(*) FROM (SELECT reason, ${b('ts_from_ns')} FROM losses GROUP BY ALL HAVING sum(count) > 0)`),
        total: await one(c, 'SELECT coalesce(sum(count), 0) FROM losses'),
      },
      'chart-levels': { points: await cells('level'), total: records },
      'chart-types': { points: await cells('type'), total: records },
      'chart-comms': await top('comm', 15),
      'chart-pids': await top('pid', 15),
      'chart-busiest': await top('ts_ns // 1000000000', 10),
    }
  } finally {
    db.close()
  }
}

const colored = (r: number, g: number, b: number): boolean => Math.max(r, g, b) - Math.min(r, g, b) > 60
const ink = (r: number, g: number, b: number): boolean => r + g + b < 3 * 200

test('krelay report: a page that renders offline with every chart drawn from all of its data', { timeout: 300_000 }, async () => {
  const page = path.join(dir, 'report.html')
  const r = krelay(['report', out, '--out', page])
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, /^krelay report: wrote .*report\.html \(\d+ KiB, [\d.]+ s\): \d+ records, \d+ lost in \d+ loss rows, host sim\n$/)
  const html = fs.readFileSync(page, 'utf8')
  const d = embedded(html)
  assert.ok(d.totals.lostRecords > 0, 'the archive has losses')
  assert.deepEqual(fs.readdirSync(dir).filter(n => n.endsWith('.tmp')), [], 'no temporary file left')

  const t0 = Date.now()
  const dom = chromium(page, '--dump-dom')
  const s = summaryOf(dom)
  assert.deepEqual(s.errors, [], 'no script error and nothing blocked')
  const want = await expected(d)
  for (const [id, w] of Object.entries(want)) {
    assert.ok(s.charts[id], `${id} drew`)
    assert.deepEqual({ points: s.charts[id].points, total: s.charts[id].total }, w, `${id}: points and their sum`)
    assert.ok(w.points > 0, `${id} has data in this archive`)
  }
  // the hostile comms are text in the DOM, never markup
  assert.doesNotMatch(dom.dom, /<b>x|<img /)
  for (const c of HOSTILE_COMMS) assert.ok(dom.dom.includes(c.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')), `${c} shown`)

  const png = path.join(dir, 'report.png')
  chromium(page, `--screenshot=${png}`)
  const img = readPng(fs.readFileSync(png))
  assert.deepEqual([img.width, img.height], [...WINDOW])
  for (const [id, c] of Object.entries(s.charts)) {
    assert.ok(c.box.y + c.box.h <= img.height, `${id} is inside the screenshot`)
    const n = countPixels(img, c.box, id === 'chart-busiest' ? ink : colored)
    assert.ok(n >= 100, `${id}: only ${n} drawn pixels in its box ${JSON.stringify(c.box)}`)
  }
  const bottom = Math.max(...Object.values(s.charts).map(c => c.box.y + c.box.h))
  assert.equal(countPixels(img, { x: 0, y: bottom + 80, w: img.width, h: img.height - bottom - 80 }, colored), 0, 'below the charts: no colour (the check can fail)')
  process.stderr.write(`# two chromium renders took ${((Date.now() - t0) / 1000).toFixed(1)} s\n`)
})

test('no losses in the window: the loss chart says so; --since counts only what follows', { timeout: 300_000 }, async () => {
  const page = path.join(dir, 'after-burst.html')
  const full = embedded(fs.readFileSync(path.join(dir, 'report.html'), 'utf8'))
  // one second after the burst's losses
  const since = new Date(full.busiest.find(b => b.lost > 0)!.startMs + 2000).toISOString()
  const r = krelay(['report', out, '--out', page, '--since', since])
  assert.equal(r.status, 0, r.stderr)
  const d = embedded(fs.readFileSync(page, 'utf8'))
  assert.equal(d.totals.lostRecords, 0)
  assert.equal(d.filter.since, since.replace(/Z$/, '000000Z'))
  const dom = chromium(page, '--dump-dom')
  const s = summaryOf(dom)
  assert.deepEqual(s.errors, [])
  assert.deepEqual({ points: s.charts['chart-losses']!.points, total: s.charts['chart-losses']!.total }, { points: 0, total: 0 })
  assert.match(dom.dom, /<section class="card wide" id="chart-losses">.*<text [^>]*class="empty"[^>]*>no losses<\/text>/s)
  const want = await expected(d, since)
  assert.deepEqual({ points: s.charts['chart-cpus']!.points, total: s.charts['chart-cpus']!.total }, want['chart-cpus'])
  const instance = await DuckDBInstance.create(':memory:')
  try {
    const all = await one(await instance.connect(), `SELECT count(*) FROM read_parquet('${out}/records/**/*.parquet')`)
    assert.ok(d.totals.records < all && d.totals.records > 0, `--since keeps part of ${all}: ${d.totals.records}`)
  } finally {
    instance.closeSync()
  }
})

test('usage: one line naming the option, exit 2; an existing --out kept unless --force', () => {
  const page = path.join(dir, 'kept.html')
  fs.writeFileSync(page, 'mine')
  const cases: [string[], number, RegExp][] = [
    [['report', out, '--out', page], 2, /^krelay report: --out \S+kept\.html exists: pass --force to replace it\n$/],
    [['report', out, '--out', page, '--since', 'yesterday'], 2, /^krelay report: --since must be an ISO 8601 time with its zone .*, got "yesterday"\n$/],
    [['report', out, '--out', page, '--until', '2026-01-01T00:00:00'], 2, /^krelay report: --until must be .*, got "2026-01-01T00:00:00"\n$/],
    [['report', out, '--out', page, '--force', '--since', '2026-01-02T00:00:00Z', '--until', '2026-01-01T00:00:00Z'], 2, /^krelay report: --since must be before --until\n$/],
    [['report', out, '--out', page, '--host', 'sim,a/b'], 2, /^krelay report: --host must be .*, got "a\/b"\n$/],
    [['report', path.join(dir, 'nope'), '--out', page, '--force'], 2, /^krelay report: archive directory \S+nope does not exist\n$/],
    [['report', dir, '--out', page, '--force'], 2, /holds neither records\/ nor losses\/ \(not an archive, or nothing published yet\)\n$/],
    [['report', out, '--out', page, '--force', '--host', 'other'], 1, /^krelay report: nothing to report: no records and no losses in .* for --since\/--until\/--host\n$/],
    [['report', out], 2, /^krelay report: required option '--out <file>' not specified/],
  ]
  for (const [args, status, stderr] of cases) {
    const r = krelay(args)
    assert.equal(r.status, status, `${args.join(' ')}: ${r.stderr}`)
    assert.match(r.stderr, stderr, args.join(' '))
    assert.equal(fs.readFileSync(page, 'utf8'), 'mine', `${args.join(' ')} left --out alone`)
  }
  const r = krelay(['report', out, '--out', page, '--force', '--host', 'sim'])
  assert.equal(r.status, 0, r.stderr)
  assert.match(fs.readFileSync(page, 'utf8'), /^<!doctype html>/)
  assert.deepEqual(fs.readdirSync(dir).filter(n => n.endsWith('.tmp')), [])
})
