// `krelay compact` SIGKILLed at seeded random moments of its run (the same archive each
// time, copied fresh), as test/vm/soak/kill-restart.test.ts kills the collector. Right
// after each kill: every visible file is a whole Parquet file, and what visibleFiles()
// lists holds every row exactly once (a reader's view mid-swap). Then a rerun finishes:
// every (host, channel_id, cpu, seq) once, the same rows as before (count and checksum of
// whole rows), every file compacted, no dot-file left.
// KRELAY_COMPACT_KILL_SEED repeats a plan; KRELAY_COMPACT_KILLS sets the number of kills.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { before, test } from 'node:test'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { listVisibleFiles } from '../../../collector/archive/compact-archive.ts'
import { seeded } from '../../seeded.ts'
import { BIN } from '../../cli/run.ts'
import { H0, HOUR_NS, writeHour } from './compact-fixtures.ts'
import { outDir } from './helpers.ts'

const SEED = Number(process.env.KRELAY_COMPACT_KILL_SEED ?? Math.floor(Math.random() * 2 ** 32))
const KILLS = Number(process.env.KRELAY_COMPACT_KILLS ?? 20)
const ARGS = ['--all-hours', '--file-size', '1'] // parts: several outputs per hour, more steps to be killed in

let conn: DuckDBConnection
before(async () => {
  conn = await (await DuckDBInstance.create(':memory:')).connect()
})

async function rows (sql: string): Promise<unknown[][]> {
  return (await conn.runAndReadAll(sql)).getRowsJson() as unknown[][]
}

/** Count, distinct keys and whole-row checksum of the records and losses in `files`. */
async function tally (files: { records: string[], losses: string[] }): Promise<string> {
  const one = async (list: string[], key: string): Promise<unknown[][]> => list.length === 0
    ? [[0]]
    : await rows(`SELECT count(*), count(DISTINCT (${key})), sum(hash(t)::HUGEINT) FROM read_parquet([${list.map(f => `'${f}'`).join(', ')}], hive_partitioning = false) t`)
  return JSON.stringify([await one(files.records, 'channel_id, cpu, seq'), await one(files.losses, 'channel_id, cpu, first_seq')])
}

/** The files a reader lists (visibleFiles of each hour), absolute, by dataset. */
async function readerFiles (out: string): Promise<{ records: string[], losses: string[] }> {
  return { records: await listVisibleFiles(out, 'records'), losses: await listVisibleFiles(out, 'losses') }
}

function allFiles (out: string): string[] {
  return (fs.readdirSync(out, { recursive: true }) as string[]).map(f => path.join(out, f)).filter(f => fs.statSync(f).isFile())
}

/** Runs krelay compact on `out`; kills it after `killMs` (if given); resolves with its exit and output. */
async function compact (out: string, killMs?: number): Promise<{ code: number | null, signal: string | null, stdout: string, ms: number }> {
  const started = performance.now()
  const child = spawn(process.execPath, [BIN, 'compact', out, ...ARGS], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  child.stdout.on('data', (b: Buffer) => { stdout += b.toString() })
  child.stderr.on('data', (b: Buffer) => { stdout += b.toString() })
  const exited = new Promise<[number | null, string | null]>(resolve => child.once('exit', (code, signal) => resolve([code, signal])))
  if (killMs !== undefined) {
    await Promise.race([sleep(killMs), exited])
    child.kill('SIGKILL')
  }
  const [code, signal] = await exited
  return { code, signal, stdout, ms: performance.now() - started }
}

/** What the kill left: journals, output partials, locks (dot-files by kind). */
function leftovers (out: string): string {
  const kinds = new Set<string>()
  for (const f of allFiles(out)) {
    const n = path.basename(f)
    if (n === '.krelay-compact.journal') kinds.add('journal')
    else if (n.endsWith('.parquet.partial')) kinds.add('partial')
    else if (n.startsWith('.krelay-compact.lock')) kinds.add('lock')
    else if (n.startsWith('.')) kinds.add(n)
  }
  return kinds.size === 0 ? 'clean' : [...kinds].sort().join('+')
}

test(`krelay compact SIGKILLed at ${KILLS} seeded random moments: whole files only, every row once for readers meanwhile and after a rerun`, { timeout: 900_000 }, async () => {
  process.stdout.write(`    compact-kill: seed ${SEED} (KRELAY_COMPACT_KILL_SEED=${SEED} repeats the plan), ${KILLS} kills\n`)
  const random = seeded(SEED)
  const base = outDir()
  for (let h = 0; h < 4; h++) {
    await writeHour(conn, base, { version: '2', hourNs: H0 + BigInt(h) * HOUR_NS, files: 4, rows: 200_000, empty: 1, seqBase: h * 1_000_000 })
    await writeHour(conn, base, { version: '2', dataset: 'losses', hourNs: H0 + BigInt(h) * HOUR_NS, files: 2, rows: 500, seqBase: h * 1_000_000 })
  }
  const truth = await tally(await readerFiles(base))

  // one whole run: how long the kills are spread over
  const whole = path.join(outDir(), 'a')
  fs.cpSync(base, whole, { recursive: true })
  const full = await compact(whole)
  assert.equal(full.code, 0, full.stdout)
  assert.equal(await tally(await readerFiles(whole)), truth)
  const wholeFiles = allFiles(whole).length
  assert.ok(wholeFiles > 8, `${wholeFiles} files: the hours were not cut into parts`)
  process.stdout.write(`    compact-kill: a whole run takes ${full.ms.toFixed(0)} ms: ${full.stdout.trim().split('\n').at(-1)}\n`)

  const hits = new Map<string, number>()
  for (let k = 0; k < KILLS; k++) {
    const out = path.join(outDir(), 'a')
    fs.cpSync(base, out, { recursive: true })
    const at = random() * full.ms
    const killed = await compact(out, at)
    const left = killed.signal === 'SIGKILL' ? leftovers(out) : 'finished'
    hits.set(left, (hits.get(left) ?? 0) + 1)
    const where = `kill ${k} at ${at.toFixed(0)} ms (seed ${SEED}; left ${left})`
    // no half-visible file: every visible *.parquet reads whole, footer and all
    for (const f of allFiles(out).filter(f => f.endsWith('.parquet') && !path.basename(f).startsWith('.'))) {
      await assert.doesNotReject(conn.run(`SELECT count(*) FROM parquet_metadata('${f}')`), `${where}: ${f}`)
    }
    assert.equal(await tally(await readerFiles(out)), truth, `${where}: a reader's view right after the kill`)
    const rerun = await compact(out)
    assert.equal(rerun.code, 0, `${where}: rerun: ${rerun.stdout}`)
    assert.equal(await tally(await readerFiles(out)), truth, `${where}: after the rerun`)
    const glob = await rows(`SELECT count(*) FROM (SELECT channel_id, cpu, seq, count(*) AS n FROM read_parquet('${out}/records/**/*.parquet') GROUP BY ALL) WHERE n <> 1`)
    assert.deepEqual(glob, [['0']], `${where}: a record twice in the plain glob`)
    assert.equal(leftovers(out), 'clean', where)
    const kv = await rows(`SELECT count(*) FILTER (WHERE decode(value) <> '1') FROM parquet_kv_metadata('${out}/*/*/*/*/*.parquet') WHERE decode(key) = 'krelay.compacted'`)
    assert.deepEqual(kv, [['0']], where)
    assert.equal(allFiles(out).length, wholeFiles, `${where}: the files of a run that was not killed`)
  }
  process.stdout.write(`    compact-kill: seed ${SEED}; what the kills left: ${JSON.stringify(Object.fromEntries(hits))}\n`)
})
