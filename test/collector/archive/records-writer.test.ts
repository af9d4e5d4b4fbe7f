import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { after, describe, it } from 'node:test'
import { DuckDBInstance } from '@duckdb/node-api'
import { RECORDS_COLUMNS, typeName } from '../../../formats/archive-schema.ts'
import { ArchiveWriteError, StagingFullError } from '../../../collector/archive/errors.ts'
import { RecordsWriter } from '../../../collector/archive/records-writer.ts'
import type { RecordRow } from '../../../collector/archive/types.ts'
import {
  blankRow, CH_A, CH_B, HOUR_NS, listFiles, OFFSET, parquetFiles, query, queryObjects, records, setMono, tempDir,
} from './helpers.ts'

const dirs: (() => void)[] = []
after(() => dirs.forEach((c) => c()))
function out (): string {
  const t = tempDir()
  dirs.push(t.cleanup)
  return t.dir
}

const FILE_RE = /^records\/host=([^/]+)\/date=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/(\d{8}T\d{6}\.\d{9})-[0-9a-f]{8}\.parquet$/
const UPTIME = 3n * 86_400_000_000_000n // three days of CLOCK_MONOTONIC

interface Case {
  channel: string;
  offset: bigint;
  mono: bigint;
  cpu: number;
  seq: number;
  level: number;
  type: number;
  kind: number;
  ctx: number;
  pid: number;
  comm: string;
  msg: string | null;
  data: number[] | null;
  /** what msg must read back as, when not msg itself */
  msgBack?: string;
}

function append (w: RecordsWriter, row: RecordRow, c: Case): void {
  w.setChannel({ channelId: c.channel, monoToRealtimeNs: c.offset })
  setMono(row, c.mono)
  row.cpu = c.cpu
  row.seq = c.seq
  row.level = c.level
  row.type = c.type
  row.kind = c.kind
  row.ctx = c.ctx
  row.pid = c.pid
  row.comm = c.comm
  row.msg = c.msg
  row.data = c.data === null ? null : Uint8Array.from(c.data)
  w.append(row)
}

function hex (bytes: number[]): string {
  return bytes.map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join('')
}

describe('RecordsWriter: values', () => {
  const ZERO_CH = 'ffffffffffffffff'
  const T0 = UPTIME + 123_456_789n
  const all256 = Array.from({ length: 256 }, (_, i) => i)
  const cases: Case[] = [
    { channel: CH_A, offset: OFFSET, mono: T0, cpu: 0, seq: 1, level: 0, type: 0x0000, kind: 1, ctx: 0, pid: 1, comm: 'swapper/0', msg: 'hello', data: null },
    { channel: CH_A, offset: OFFSET, mono: T0 + 1n, cpu: 1, seq: 2 ** 53 - 1, level: 7, type: 0xff01, kind: 2, ctx: 2, pid: 2147483647, comm: 'krelay_gen/1', msg: null, data: [0, 0, 1, 0, 255, 0] },
    { channel: CH_A, offset: OFFSET, mono: T0 + 2n, cpu: 2, seq: 2 ** 53 - 2, level: 3, type: 0xff10, kind: 1, ctx: 1, pid: 0, comm: 'kworker/2:1H', msg: 'ünï ✓ 😀 漢字 a\u0000b\ttab\nnl', data: null },
    { channel: CH_A, offset: OFFSET, mono: T0 + 3n, cpu: 3, seq: 7, level: 5, type: 0xff11, kind: 1, ctx: 0, pid: -1, comm: 'çømm', msg: '', data: null },
    { channel: CH_A, offset: OFFSET, mono: T0 + 4n, cpu: 0, seq: 2, level: 4, type: 0x0102, kind: 2, ctx: 0, pid: 5, comm: '', msg: null, data: [] },
    { channel: CH_A, offset: OFFSET, mono: T0 + 5n, cpu: 0, seq: 3, level: 6, type: 0x000a, kind: 1, ctx: 0, pid: 6, comm: 'x', msg: 'lone \uD800 surrogate', data: null, msgBack: 'lone \uFFFD surrogate' },
    // kind wins over the other field: text records never carry data, binary never msg
    { channel: CH_A, offset: OFFSET, mono: T0 + 6n, cpu: 0, seq: 4, level: 1, type: 0xff02, kind: 1, ctx: 0, pid: 7, comm: 'y', msg: 'text', data: [1, 2] },
    { channel: CH_A, offset: OFFSET, mono: T0 + 7n, cpu: 0, seq: 5, level: 2, type: 0xfffe, kind: 2, ctx: 0, pid: 8, comm: 'z', msg: 'ignored', data: [3] },
    // same monotonic time on another channel (module reloaded, another offset): another ts
    { channel: CH_B, offset: OFFSET + 7n, mono: T0, cpu: 0, seq: 1, level: 6, type: 0xffff, kind: 2, ctx: 0, pid: 9, comm: 'b', msg: null, data: all256 },
    // extremes, with a zero offset so ts = mono
    { channel: ZERO_CH, offset: 0n, mono: (1n << 63n) - 2n, cpu: 5, seq: 1, level: 6, type: 0, kind: 1, ctx: 0, pid: 10, comm: 'max', msg: 'last representable ns', data: null },
    { channel: ZERO_CH, offset: 0n, mono: (1n << 53n) + 1n, cpu: 5, seq: 2 ** 53 - 1, level: 6, type: 0, kind: 1, ctx: 0, pid: 11, comm: '2^53+1', msg: 'not a double', data: null },
    { channel: ZERO_CH, offset: 0n, mono: (1n << 62n) + 12345n, cpu: 6, seq: 2 ** 52 + 1, level: 6, type: 0, kind: 1, ctx: 0, pid: 12, comm: '2^62', msg: 'x', data: null },
  ]

  it('reads back every row and every column exactly', async () => {
    const dir = out()
    const w = await RecordsWriter.open({ out: dir, host: 'node-1' })
    const row = blankRow()
    for (const c of cases) append(w, row, c)
    await w.close()

    const got = await query(`SELECT channel_id, cpu, seq::VARCHAR, epoch_ns(ts)::VARCHAR, mono_ns::VARCHAR, level, type, ctx,
        pid, comm, msg, hex(data), msg IS NULL, data IS NULL, host
      FROM ${records(dir)} ORDER BY channel_id, cpu, seq`)
    const want = [...cases]
      .sort((a, b) => (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : a.cpu - b.cpu || a.seq - b.seq))
      .map((c) => {
        const text = c.kind === 1
        return [
          c.channel, c.cpu, BigInt(c.seq).toString(), (c.mono + c.offset).toString(), c.mono.toString(),
          ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'][c.level], typeName(c.type),
          ['task', 'softirq', 'hardirq'][c.ctx], c.pid, c.comm,
          text ? (c.msgBack ?? c.msg) : null, text ? null : hex(c.data!), !text, text, 'node-1',
        ]
      })
    assert.deepEqual(got, want)
  })

  it('keeps seq above 2^53 - 2 and mono/ts near 2^63 exact (spot checks as text)', async () => {
    const dir = out()
    const w = await RecordsWriter.open({ out: dir, host: 'h' })
    const row = blankRow()
    for (const c of cases.slice(-3)) append(w, row, c)
    await w.close()
    const got = await query(`SELECT ts::VARCHAR, mono_ns::VARCHAR, seq::VARCHAR FROM ${records(dir)} ORDER BY ts`)
    assert.deepEqual(got, [
      ['1970-04-15 05:59:59.254740993', '9007199254740993', '9007199254740991'],
      ['2116-02-20 23:53:38.427400249', '4611686018427400249', '4503599627370497'],
      ['2262-04-11 23:47:16.854775806', '9223372036854775806', '1'],
    ])
  })

  it('writes the schema of formats/archive-schema.ts, hive columns from the path', async () => {
    const dir = out()
    const w = await RecordsWriter.open({ out: dir, host: 'h' })
    const row = blankRow()
    append(w, row, cases[1]!)
    await w.close()
    const got = await query(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ${records(dir)})`)
    assert.deepEqual(got.slice(0, RECORDS_COLUMNS.length), RECORDS_COLUMNS.map((c) => [c.name, c.type]))
    assert.deepEqual(got.slice(RECORDS_COLUMNS.length).map((r) => r[0]).sort(), ['date', 'host', 'hour'])
  })

  it('refuses what it cannot store exactly, and takes nothing', async () => {
    const dir = out()
    const w = await RecordsWriter.open({ out: dir, host: 'h' })
    const row = blankRow()
    assert.throws(() => w.append(row), /setChannel/)
    w.setChannel({ channelId: CH_A, monoToRealtimeNs: 0n })
    setMono(row, 1n << 63n) // BIGINT cannot hold mono
    assert.throws(() => w.append(row), RangeError)
    setMono(row, (1n << 63n) - 1n) // mono fits, but ts = 2^63 - 1 is DuckDB's 'infinity'
    assert.throws(() => w.append(row), RangeError)
    w.setChannel({ channelId: CH_A, monoToRealtimeNs: OFFSET })
    setMono(row, (1n << 63n) - OFFSET) // ts would overflow
    assert.throws(() => w.append(row), RangeError)
    setMono(row, UPTIME)
    row.seq = 2 ** 53
    assert.throws(() => w.append(row), RangeError)
    row.seq = 1.5
    assert.throws(() => w.append(row), RangeError)
    row.seq = -1
    assert.throws(() => w.append(row), RangeError)
    row.tsLo = -1
    row.seq = 1
    assert.throws(() => w.append(row), RangeError)
    assert.throws(() => w.setChannel({ channelId: 'XYZ', monoToRealtimeNs: 0n }), RangeError)
    assert.equal(w.stagedRows, 0)
    assert.deepEqual(await w.close(), [])
    assert.deepEqual(listFiles(dir), [])
    setMono(row, UPTIME)
    assert.throws(() => w.append(row), /closed/)
  })
})

describe('RecordsWriter: files', () => {
  function fill (row: RecordRow, i: number, mono: bigint): RecordRow {
    setMono(row, mono)
    row.cpu = i % 4
    row.seq = i + 1
    row.level = i % 8
    row.type = 0xff01
    row.kind = 1
    row.comm = `comm${i % 3}`
    row.msg = `message number ${i}`
    row.data = null
    return row
  }

  it('sorts each file by (ts, cpu, seq), whatever the append order', async () => {
    const dir = out()
    const w = await RecordsWriter.open({ out: dir, host: 'h', rowGroupSize: 500 })
    w.setChannel({ channelId: CH_A, monoToRealtimeNs: OFFSET })
    const row = blankRow()
    // 3000 rows inside one hour, appended in a scrambled order, with ties on ts across CPUs
    const n = 3000
    for (let k = 0; k < n; k++) {
      const i = (k * 7919) % n
      fill(row, i, UPTIME + BigInt(Math.floor(i / 4)) * 1000n)
      w.append(row)
    }
    const [p] = await w.close()
    assert.ok(p)
    assert.equal(p.rows, n)
    const got = await query(`SELECT epoch_ns(ts)::VARCHAR, cpu, seq::VARCHAR FROM read_parquet('${p.path}', file_row_number=true) ORDER BY file_row_number`)
    const sorted = [...got].sort((a, b) => {
      const ta = BigInt(a[0] as string)
      const tb = BigInt(b[0] as string)
      return ta < tb ? -1 : ta > tb ? 1 : (a[1] as number) - (b[1] as number) || Number(a[2]) - Number(b[2])
    })
    assert.equal(got.length, n)
    assert.deepEqual(got, sorted)
  })

  it('writes zstd, dictionary-encoded strings, min/max statistics per row group, format metadata', async () => {
    const dir = out()
    // DuckDB rounds row groups to whole 2048-row vectors
    const w = await RecordsWriter.open({ out: dir, host: 'h', rowGroupSize: 2048 })
    w.setChannel({ channelId: CH_A, monoToRealtimeNs: OFFSET })
    const row = blankRow()
    for (let i = 0; i < 8192; i++) {
      fill(row, i, UPTIME + BigInt(i) * 1000n)
      if (i % 2) {
        row.kind = 2
        row.msg = null
        row.data = Uint8Array.of(i & 255, 0, 7)
      }
      w.append(row)
    }
    const [p] = await w.close()
    assert.ok(p)
    const meta = await queryObjects(`SELECT row_group_id, path_in_schema AS col, compression, encodings,
        stats_min_value AS min, stats_max_value AS max, stats_null_count AS nulls
      FROM parquet_metadata('${p.path}') ORDER BY row_group_id, column_id`)
    const groups = new Set(meta.map((m) => m.row_group_id))
    assert.equal(groups.size, 4)
    for (const m of meta) {
      assert.equal(m.compression, 'ZSTD', `${m.col} compression`)
      assert.notEqual(m.min, null, `${m.col} min`)
      assert.notEqual(m.max, null, `${m.col} max`)
    }
    for (const col of ['level', 'type', 'ctx', 'comm', 'channel_id']) {
      for (const m of meta.filter((x) => x.col === col)) assert.match(String(m.encodings), /DICTIONARY/, col)
    }
    // ts statistics: per row group, ascending and not overlapping (the file is sorted)
    const ts = meta.filter((m) => m.col === 'ts')
    for (let g = 1; g < ts.length; g++) assert.ok(String(ts[g - 1]!.max) < String(ts[g]!.min))
    assert.equal(ts[0]!.min, '2025-11-28 01:00:00.123456789')
    const seq = meta.filter((m) => m.col === 'seq')
    assert.deepEqual([seq[0]!.min, seq[0]!.max, seq[3]!.min, seq[3]!.max], ['1', '2048', '6145', '8192'])
    assert.deepEqual(meta.filter((m) => m.col === 'msg').map((m) => m.nulls), ['1024', '1024', '1024', '1024'])
    assert.deepEqual(meta.filter((m) => m.col === 'data').map((m) => m.nulls), ['1024', '1024', '1024', '1024'])
    const kv = await query(`SELECT decode(key), decode(value) FROM parquet_kv_metadata('${p.path}') ORDER BY 1`)
    assert.deepEqual(kv, [['krelay.archive', '1'], ['krelay.dataset', 'records']])
    const schema = await query(`SELECT name, logical_type FROM parquet_schema('${p.path}') WHERE name = 'ts'`)
    assert.match(String(schema[0]![1]), /NANOS/)
  })

  it('names files by their first ts and puts them in the partition of their hour', async () => {
    const dir = out()
    const w = await RecordsWriter.open({ out: dir, host: 'web-01.example' })
    // offset chosen so mono 0 is 2025-12-31T22:00:00Z
    const offset = BigInt(Date.UTC(2025, 11, 31, 22)) * 1_000_000n
    w.setChannel({ channelId: CH_A, monoToRealtimeNs: offset.toString() })
    const row = blankRow()
    // the last ns of 22:xx, the first and last of 23:xx, then the first of the next day
    const monos = [HOUR_NS - 1n, HOUR_NS, 2n * HOUR_NS - 1n, 2n * HOUR_NS, 2n * HOUR_NS + 5n]
    monos.forEach((m, i) => w.append(fill(row, i, m)))
    const published = await w.close()
    const rel = published.map((p) => p.path.slice(dir.length + 1))
    assert.equal(rel.length, 3)
    assert.match(rel[0]!, /^records\/host=web-01\.example\/date=2025-12-31\/hour=22\/20251231T225959\.999999999-[0-9a-f]{8}\.parquet$/)
    assert.match(rel[1]!, /^records\/host=web-01\.example\/date=2025-12-31\/hour=23\/20251231T230000\.000000000-[0-9a-f]{8}\.parquet$/)
    assert.match(rel[2]!, /^records\/host=web-01\.example\/date=2026-01-01\/hour=00\/20260101T000000\.000000000-[0-9a-f]{8}\.parquet$/)
    assert.deepEqual(published.map((p) => [p.rows, p.firstTs, p.lastTs]), [
      [1, '2025-12-31T22:59:59.999999999Z', '2025-12-31T22:59:59.999999999Z'],
      [2, '2025-12-31T23:00:00.000000000Z', '2025-12-31T23:59:59.999999999Z'],
      [2, '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000005Z'],
    ])
    assert.deepEqual(parquetFiles(dir), rel)
    for (const f of parquetFiles(dir)) assert.match(f, FILE_RE)
    // every row is in the partition of its own ts
    const bad = await query(`SELECT count(*)::INT FROM ${records(dir)}
      WHERE strftime(ts, '%Y-%m-%d') <> CAST("date" AS VARCHAR) OR strftime(ts, '%H') <> hour`)
    assert.deepEqual(bad, [[0]])
    assert.deepEqual(await query(`SELECT count(*)::INT FROM ${records(dir)}`), [[5]])
  })

  it('rotates by size: each file holds about maxFileBytes, names sort by time', async () => {
    const dir = out()
    const w = await RecordsWriter.open({ out: dir, host: 'h', maxFileBytes: 10_000, maxStagedBytes: 1e6 })
    w.setChannel({ channelId: CH_A, monoToRealtimeNs: OFFSET })
    const row = blankRow()
    for (let i = 0; i < 1000; i++) {
      fill(row, i, UPTIME + BigInt(i) * 1_000_000n)
      row.msg = 'x'.repeat(50) // 48 + 5 (comm) + 50 = 103 bytes per row: 98 rows per file
      w.append(row)
    }
    assert.equal(w.due, true)
    const published = await w.close()
    assert.deepEqual(published.map((p) => p.rows), [98, 98, 98, 98, 98, 98, 98, 98, 98, 98, 20])
    const names = parquetFiles(dir)
    assert.equal(names.length, 11)
    assert.deepEqual(published.map((p) => p.path.slice(dir.length + 1)), [...names].sort())
    // consecutive files do not overlap in time
    const ranges = await query(`SELECT filename, min(seq)::INT, max(seq)::INT FROM read_parquet('${dir}/records/**/*.parquet', filename=true) GROUP BY filename ORDER BY filename`)
    for (let i = 1; i < ranges.length; i++) assert.equal(ranges[i]![1], (ranges[i - 1]![2] as number) + 1)
  })

  it('rotates by age: publishDue writes the open file once its first row is maxAgeSeconds old', async () => {
    const dir = out()
    let now = 1_000_000
    const w = await RecordsWriter.open({ out: dir, host: 'h', maxAgeSeconds: 30, now: () => now })
    w.setChannel({ channelId: CH_A, monoToRealtimeNs: OFFSET })
    const row = blankRow()
    assert.equal(w.due, false)
    w.append(fill(row, 0, UPTIME))
    now += 20_000
    w.append(fill(row, 1, UPTIME + 1n))
    now += 9_999
    assert.equal(w.due, false)
    assert.deepEqual(await w.publishDue(), [])
    assert.deepEqual(parquetFiles(dir), [])
    now += 1
    assert.equal(w.due, true)
    const p = await w.publishDue()
    assert.deepEqual(p.map((x) => x.rows), [2])
    // the next file's age counts from its own first row
    now += 29_000
    w.append(fill(row, 2, UPTIME + 2n))
    now += 29_999
    assert.deepEqual(await w.publishDue(), [])
    assert.deepEqual((await w.publishDue(now + 1)).map((x) => x.rows), [1])
    assert.equal(parquetFiles(dir).length, 2)
    await w.close()
  })

  it('reports the highest seq per channel and CPU of each file', async () => {
    const dir = out()
    const w = await RecordsWriter.open({ out: dir, host: 'h' })
    const row = blankRow()
    w.setChannel({ channelId: CH_A, monoToRealtimeNs: OFFSET })
    for (let i = 0; i < 40; i++) w.append(fill(row, i, UPTIME + BigInt(i)))
    w.setChannel({ channelId: CH_B, monoToRealtimeNs: OFFSET + 1000n })
    for (let i = 0; i < 6; i++) w.append(fill(row, i, UPTIME + 100n + BigInt(i)))
    const [p, extra] = await w.close()
    assert.equal(extra, undefined)
    assert.ok(p)
    assert.equal(p.rows, 46)
    assert.deepEqual(p.maxSeq, [
      { channelId: CH_A, cpu: 0, seq: 37 }, { channelId: CH_A, cpu: 1, seq: 38 },
      { channelId: CH_A, cpu: 2, seq: 39 }, { channelId: CH_A, cpu: 3, seq: 40 },
      { channelId: CH_B, cpu: 0, seq: 5 }, { channelId: CH_B, cpu: 1, seq: 6 },
      { channelId: CH_B, cpu: 2, seq: 3 }, { channelId: CH_B, cpu: 3, seq: 4 },
    ])
    const ids = await query(`SELECT channel_id, count(*)::INT FROM ${records(dir)} GROUP BY 1 ORDER BY 1`)
    assert.deepEqual(ids, [[CH_B, 6], [CH_A, 40]])
  })

  it('shows no *.parquet until the file is complete and durable', async () => {
    const dir = out()
    const seen: string[][] = []
    let readError = ''
    const w = await RecordsWriter.open({ out: dir, host: 'h' }, {
      async afterCopy (partial, final) {
        seen.push(listFiles(dir))
        assert.equal(partial.slice(0, partial.lastIndexOf('/')), final.slice(0, final.lastIndexOf('/')))
        try {
          await query(`SELECT count(*) FROM ${records(dir)}`)
        } catch (e) {
          readError = (e as Error).message
        }
      },
    })
    w.setChannel({ channelId: CH_A, monoToRealtimeNs: OFFSET })
    const row = blankRow()
    for (let i = 0; i < 100; i++) w.append(fill(row, i, UPTIME + BigInt(i)))
    assert.deepEqual(listFiles(dir), []) // staged, nothing on disk
    const [p] = await w.close()
    assert.ok(p)
    assert.equal(seen.length, 1)
    assert.equal(seen[0]!.length, 1)
    const partial = seen[0]![0]!
    const base = p.path.slice(p.path.lastIndexOf('/') + 1)
    assert.equal(partial.slice(partial.lastIndexOf('/') + 1), `.${base}.partial`)
    assert.ok(!partial.endsWith('.parquet'))
    assert.match(readError, /No files found/)
    assert.deepEqual(listFiles(dir), [p.path.slice(dir.length + 1)])
  })

  it('keeps appending while a file is being published, and loses or repeats nothing', async () => {
    const dir = out()
    const w = await RecordsWriter.open({ out: dir, host: 'h', maxFileBytes: 200_000, maxStagedBytes: 1e9 })
    w.setChannel({ channelId: CH_A, monoToRealtimeNs: OFFSET })
    const row = blankRow()
    let i = 0
    for (; i < 20_000; i++) w.append(fill(row, i, UPTIME + BigInt(i) * 1000n))
    let settled = false
    const first = w.publishAll().finally(() => (settled = true))
    let overlapped = 0
    // `settled` is set by the publish's finally while this loop awaits
    // eslint-disable-next-line no-unmodified-loop-condition
    while (!settled) {
      for (let k = 0; k < 200; k++, i++) w.append(fill(row, i, UPTIME + BigInt(i) * 1000n))
      overlapped++
      await new Promise((resolve) => setImmediate(resolve))
    }
    const a = await first
    const b = await w.close()
    assert.ok(overlapped > 1, 'appends ran while the publish was in progress')
    const files = [...a, ...b]
    assert.equal(files.reduce((s, p) => s + p.rows, 0), i)
    const got = await query(`SELECT count(*)::INT, count(DISTINCT seq)::INT, min(seq)::INT, max(seq)::INT FROM ${records(dir)}`)
    assert.deepEqual(got, [[i, i, 1, i]])
  })

  it('deletes published rows from the staging table (bounded memory)', async () => {
    const dir = out()
    const instance = await DuckDBInstance.create(':memory:')
    const conn = await instance.connect()
    const w = await RecordsWriter.open({ out: dir, host: 'h', instance, maxFileBytes: 50_000, maxStagedBytes: 1e6 })
    w.setChannel({ channelId: CH_A, monoToRealtimeNs: OFFSET })
    const row = blankRow()
    const stagedInDuckDB = async () => {
      const t = await conn.runAndReadAll('SELECT table_name FROM duckdb_tables() WHERE table_name LIKE \'krelay_stage_records_%\'')
      const name = t.getRows()[0]![0] as string
      const r = await conn.runAndReadAll(`SELECT count(*)::INT FROM ${name}`)
      return r.getRows()[0]![0]
    }
    for (let i = 0; i < 5000; i++) w.append(fill(row, i, UPTIME + BigInt(i)))
    await w.publishDue()
    assert.ok(w.stagedRows > 0 && w.stagedRows < 1000, `only the open file stays staged (${w.stagedRows})`)
    // the open file's rows may still sit in the appender's buffer, never more than that
    assert.ok(Number(await stagedInDuckDB()) <= w.stagedRows)
    await w.publishAll()
    assert.equal(w.stagedRows, 0)
    assert.equal(w.stagedBytes, 0)
    assert.equal(await stagedInDuckDB(), 0)
    await w.close()
    assert.deepEqual((await conn.runAndReadAll('SELECT count(*)::INT FROM duckdb_tables()')).getRows(), [[0]])
    conn.closeSync()
    instance.closeSync()
  })
})

describe('RecordsWriter: write errors', () => {
  function bulk (w: RecordsWriter, from: number, n: number, size: number): void {
    const row = blankRow()
    const data = new Uint8Array(size)
    for (let i = from; i < from + n; i++) {
      setMono(row, UPTIME + BigInt(i) * 1000n)
      row.seq = i + 1
      row.kind = 2
      row.msg = null
      // incompressible bytes, so the file really needs the space
      for (let k = 0; k < size; k++) data[k] = (Math.random() * 256) | 0
      row.data = data
      w.append(row)
    }
  }

  it('surfaces a path that is a file as an error naming the path, keeps the rows, publishes them on retry', async () => {
    const root = out()
    const dir = join(root, 'archive')
    writeFileSync(dir, 'not a directory')
    const w = await RecordsWriter.open({ out: dir, host: 'h' })
    w.setChannel({ channelId: CH_A, monoToRealtimeNs: OFFSET })
    bulk(w, 0, 100, 10)
    const err = await w.publishAll().then(() => null, (e: unknown) => e)
    assert.ok(err instanceof ArchiveWriteError, String(err))
    assert.ok(err.path.startsWith(dir + '/records/host=h/date='), err.path)
    assert.ok(err.message.includes(err.path))
    assert.equal(err.code, 'ENOTDIR')
    assert.deepEqual(err.published, [])
    assert.equal(w.stagedRows, 100)
    // a second failure changes nothing either
    await assert.rejects(w.publishAll(), ArchiveWriteError)
    assert.equal(w.stagedRows, 100)
    rmSync(dir)
    bulk(w, 100, 10, 10)
    const p = await w.close()
    assert.deepEqual(p.map((x) => x.rows), [100, 10])
    assert.deepEqual(await query(`SELECT count(DISTINCT seq)::INT FROM ${records(dir)}`), [[110]])
  })

  it('surfaces ENOSPC from a full file system, keeps the rows, and leaves no partial file', async (t) => {
    const root = out()
    const mnt = join(root, 'small')
    mkdirSync(mnt)
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt], { stdio: 'ignore' })
    } catch {
      t.skip('cannot mount a tmpfs here (needs root)')
      return
    }
    try {
      const w = await RecordsWriter.open({ out: mnt, host: 'h', maxFileBytes: 10 * 1024 * 1024 })
      w.setChannel({ channelId: CH_A, monoToRealtimeNs: OFFSET })
      bulk(w, 0, 1000, 1000) // ~1 MB of random bytes into 256 kB
      const err = await w.publishAll().then(() => null, (e: unknown) => e)
      assert.ok(err instanceof ArchiveWriteError, String(err))
      assert.equal(err.code, 'ENOSPC')
      assert.match(err.message, /No space left on device/)
      assert.ok(err.path.startsWith(mnt + '/records/host=h/'), err.path)
      assert.equal(w.stagedRows, 1000)
      assert.deepEqual(listFiles(mnt), [], 'no partial file is left behind')
      execFileSync('mount', ['-o', 'remount,size=16m', mnt])
      const p = await w.close()
      assert.deepEqual(p.map((x) => x.rows), [1000])
      assert.deepEqual(await query(`SELECT count(*)::INT, count(DISTINCT seq)::INT FROM ${records(mnt)}`), [[1000, 1000]])
    } finally {
      execFileSync('umount', [mnt])
    }
  })

  it('publishes in order and stops at the first failure', async () => {
    const dir = out()
    const w = await RecordsWriter.open({ out: dir, host: 'h' })
    w.setChannel({ channelId: CH_A, monoToRealtimeNs: OFFSET })
    bulk(w, 0, 10, 100) // 2025-11-28 01:00
    const row = blankRow()
    setMono(row, UPTIME + 10n * HOUR_NS) // 11:00: seals the 01:00 file
    row.seq = 11
    w.append(row)
    // the 01:00 partition cannot be created; the 11:00 one could
    const blocker = join(dir, 'records/host=h/date=2025-11-28/hour=01')
    mkdirSync(dirname(blocker), { recursive: true })
    writeFileSync(blocker, 'blocker')
    const err = await w.publishAll().then(() => null, (e: unknown) => e)
    assert.ok(err instanceof ArchiveWriteError, String(err))
    assert.ok(err.path.startsWith(blocker + '/'), err.path)
    assert.deepEqual(err.published, [])
    assert.deepEqual(parquetFiles(dir), [], 'the later file is not published before the earlier one')
    assert.equal(w.stagedRows, 11)
    rmSync(blocker)
    const p = await w.close()
    assert.deepEqual(p.map((x) => [x.rows, x.path.includes('/hour=01/'), x.path.includes('/hour=11/')]), [
      [10, true, false],
      [1, false, true],
    ])
    assert.deepEqual(await query(`SELECT count(DISTINCT seq)::INT FROM ${records(dir)}`), [[11]])
  })

  it('refuses rows beyond maxStagedBytes with StagingFullError, taking nothing', async () => {
    const root = out()
    const dir = join(root, 'archive')
    writeFileSync(dir, 'not a directory')
    const w = await RecordsWriter.open({ out: dir, host: 'h', maxFileBytes: 1000, maxStagedBytes: 3000 })
    w.setChannel({ channelId: CH_A, monoToRealtimeNs: OFFSET })
    assert.throws(() => bulk(w, 0, 100, 48), StagingFullError) // 48 + 4 (comm) + 48 = 100 bytes per row
    assert.equal(w.stagedRows, 30)
    assert.equal(w.stagedBytes, 3000)
    await assert.rejects(w.publishAll(), ArchiveWriteError)
    assert.throws(() => bulk(w, 30, 1, 48), StagingFullError)
    rmSync(dir)
    const p = await w.publishAll()
    assert.deepEqual(p.map((x) => x.rows), [10, 10, 10])
    bulk(w, 30, 5, 48)
    assert.equal(w.stagedRows, 5)
    await w.close()
  })
})
