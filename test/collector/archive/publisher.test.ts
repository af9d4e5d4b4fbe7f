// Publishing mechanics (collector/archive/publisher.ts), driven through the records
// writer: file contents and names, what a file reports, durability, deleting published
// rows, and write errors.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { describe, it } from 'node:test'
import { DuckDBInstance } from '@duckdb/node-api'
import { ArchiveWriteError } from '../../../collector/archive/errors.ts'
import { RecordsWriter } from '../../../collector/archive/records-writer.ts'
import {
  blankRow, bulk, CH_A, CH_B, dataParquetFiles, fill, HOUR_NS, listDataFiles, listFiles, OFFSET, parquetFiles, query, queryObjects, records, setMono, outDir,
  TS_NS, UPTIME, zeroRowFiles,
} from './helpers.ts'

const FILE_RE = /^records\/host=([^/]+)\/date=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/(\d{8}T\d{6}\.\d{9})-[0-9a-f]{8}\.parquet$/

describe('Publisher: files', () => {
  it('sorts each file by (ts, cpu, seq), whatever the append order', async () => {
    const dir = outDir()
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
    const got = await query(`SELECT ${TS_NS}::VARCHAR, cpu, seq::VARCHAR FROM read_parquet('${p.path}', file_row_number=true) ORDER BY file_row_number`)
    const sorted = [...got].sort((a, b) => {
      const ta = BigInt(a[0] as string)
      const tb = BigInt(b[0] as string)
      return ta < tb ? -1 : ta > tb ? 1 : (a[1] as number) - (b[1] as number) || Number(a[2]) - Number(b[2])
    })
    assert.equal(got.length, n)
    assert.deepEqual(got, sorted)
  })

  it('keeps rows staged in order as they are, and sorts a stage that is not (clocks of two channels, ties on ts)', async () => {
    // rows in file order, as a reader sees them
    const fileOrder = (path: string) =>
      query(`SELECT ${TS_NS}::VARCHAR, cpu, seq::VARCHAR FROM read_parquet('${path}', file_row_number=true) ORDER BY file_row_number`)
    const sortedCopy = (rows: unknown[][]) => [...rows].sort((a, b) => {
      const ta = BigInt(a[0] as string)
      const tb = BigInt(b[0] as string)
      return ta < tb ? -1 : ta > tb ? 1 : (a[1] as number) - (b[1] as number) || Number(a[2]) - Number(b[2])
    })
    const row = blankRow()
    // in order across several chunks and row groups: the file holds them in the same order
    const inOrder = await RecordsWriter.open({ out: outDir(), host: 'h', rowGroupSize: 2048 })
    inOrder.setChannel({ channelId: CH_A, monoToRealtimeNs: OFFSET })
    for (let i = 0; i < 5000; i++) inOrder.append(fill(row, i, UPTIME + BigInt(i >> 2) * 1000n))
    const [a] = await inOrder.close()
    const gotA = await fileOrder(a!.path)
    assert.equal(gotA.length, 5000)
    assert.deepEqual(gotA, sortedCopy(gotA))
    assert.deepEqual(gotA.slice(0, 3).map((r) => r[1]), [0, 1, 2])

    // a second channel whose clock puts its rows 50 ms earlier, though appended later
    const clocks = await RecordsWriter.open({ out: outDir(), host: 'h' })
    clocks.setChannel({ channelId: CH_A, monoToRealtimeNs: OFFSET })
    for (let i = 0; i < 10; i++) clocks.append(fill(row, i, UPTIME + BigInt(i) * 1000n))
    clocks.setChannel({ channelId: CH_B, monoToRealtimeNs: OFFSET - 100_000_000n })
    for (let i = 0; i < 10; i++) clocks.append(fill(row, i, UPTIME + 50_000_000n + BigInt(i) * 1000n))
    const [b] = await clocks.close()
    const gotB = await fileOrder(b!.path)
    assert.equal(gotB.length, 20)
    assert.deepEqual(gotB, sortedCopy(gotB))

    // equal ts: cpu 1 before cpu 0, then seq 5 before seq 4 on one CPU
    const ties = await RecordsWriter.open({ out: outDir(), host: 'h' })
    ties.setChannel({ channelId: CH_A, monoToRealtimeNs: OFFSET })
    for (const [cpu, seq] of [[1, 1], [0, 1], [2, 5], [2, 4]] as const) {
      fill(row, 0, UPTIME)
      row.cpu = cpu
      row.seq = seq
      ties.append(row)
    }
    const [c] = await ties.close()
    const gotC = await fileOrder(c!.path)
    assert.deepEqual(gotC.map((r) => [r[1], r[2]]), [[0, '1'], [1, '1'], [2, '4'], [2, '5']])
  })

  it('writes zstd, dictionary-encoded strings, min/max statistics per row group, format metadata', async () => {
    const dir = outDir()
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
    assert.equal(ts[0]!.min, '2025-11-28 01:00:00.123456+00')
    // Parquet format 2 encodings: the sorted integers delta-coded
    for (const col of ['ts', 'seq']) {
      for (const m of meta.filter((x) => x.col === col)) assert.match(String(m.encodings), /DELTA_BINARY_PACKED/, col)
    }
    const seq = meta.filter((m) => m.col === 'seq')
    assert.deepEqual([seq[0]!.min, seq[0]!.max, seq[3]!.min, seq[3]!.max], ['1', '2048', '6145', '8192'])
    assert.deepEqual(meta.filter((m) => m.col === 'msg').map((m) => m.nulls), ['1024', '1024', '1024', '1024'])
    assert.deepEqual(meta.filter((m) => m.col === 'data').map((m) => m.nulls), ['1024', '1024', '1024', '1024'])
    const kv = await query(`SELECT decode(key), decode(value) FROM parquet_kv_metadata('${p.path}') ORDER BY 1`)
    assert.deepEqual(kv, [['krelay.archive', '2'], ['krelay.dataset', 'records']])
    const schema = await query(`SELECT name, logical_type FROM parquet_schema('${p.path}') WHERE name = 'ts'`)
    assert.match(String(schema[0]![1]), /isAdjustedToUTC=1, unit=TimeUnit\(MILLIS=<null>, MICROS=MicroSeconds\(\)/)
  })

  it('names files by their first ts and puts them in the partition of their hour', async () => {
    const dir = outDir()
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
    assert.deepEqual(await listDataFiles(dir), rel)
    for (const f of parquetFiles(dir)) assert.match(f, FILE_RE)
    // every row is in the partition of its own ts
    const bad = await query(`SELECT count(*)::INT FROM ${records(dir)}
      WHERE strftime(ts, '%Y-%m-%d') <> CAST("date" AS VARCHAR) OR strftime(ts, '%H') <> hour`)
    assert.deepEqual(bad, [[0]])
    assert.deepEqual(await query(`SELECT count(*)::INT FROM ${records(dir)}`), [[5]])
  })

  it('reports the highest seq per channel and CPU of each file', async () => {
    const dir = outDir()
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
    const dir = outDir()
    const seen: string[][] = []
    let readError = ''
    let rowsSeen = -1
    const w = await RecordsWriter.open({ out: dir, host: 'h' }, {
      async afterCopy (partial, final) {
        seen.push(listFiles(dir))
        assert.equal(partial.slice(0, partial.lastIndexOf('/')), final.slice(0, final.lastIndexOf('/')))
        try {
          rowsSeen = Number((await query(`SELECT count(*) FROM ${records(dir)}`))[0]![0])
        } catch (e) {
          readError = (e as Error).message
        }
      },
    })
    w.setChannel({ channelId: CH_A, monoToRealtimeNs: OFFSET })
    const row = blankRow()
    for (let i = 0; i < 100; i++) w.append(fill(row, i, UPTIME + BigInt(i)))
    const empty = await zeroRowFiles(dir)
    assert.equal(empty.length, 1, 'the empty dataset file, from the start')
    assert.deepEqual(listFiles(dir), empty) // staged, nothing else on disk
    const [p] = await w.close()
    assert.ok(p)
    assert.equal(seen.length, 1)
    assert.equal(seen[0]!.length, 2)
    const partial = seen[0]!.find((f) => f !== empty[0])!
    const base = p.path.slice(p.path.lastIndexOf('/') + 1)
    assert.equal(partial.slice(partial.lastIndexOf('/') + 1), `.${base}.partial`)
    assert.ok(!partial.endsWith('.parquet'))
    assert.equal(readError, '')
    assert.equal(rowsSeen, 0, 'a reader sees none of the rows before the rename')
    assert.deepEqual(listFiles(dir), [...empty, p.path.slice(dir.length + 1)].sort())
  })

  it('removes a staging file once its stage is published, and the staging directory at close', async () => {
    const dir = outDir()
    const tmp = outDir()
    const instance = await DuckDBInstance.create(':memory:')
    const w = await RecordsWriter.open({ out: dir, host: 'h', instance, tempDirectory: tmp, maxFileBytes: 50_000, maxStagedBytes: 1e6 })
    w.setChannel({ channelId: CH_A, monoToRealtimeNs: OFFSET })
    const row = blankRow()
    for (let i = 0; i < 5000; i++) w.append(fill(row, i, UPTIME + BigInt(i)))
    const staging = () => listFiles(tmp).filter((f) => f.startsWith('stage-records-'))
    assert.ok(staging().length >= 5, `a staging file per sealed stage (${staging().join(' ')})`)
    const published = await w.publishDue()
    assert.ok(published.length >= 5)
    assert.ok(w.stagedRows > 0 && w.stagedRows < 1000, `only the open file stays staged (${w.stagedRows})`)
    // the open stage's file holds at most the rows staged, none of a published stage
    assert.ok(staging().length <= 1, staging().join(' '))
    await w.publishAll()
    assert.equal(w.stagedRows, 0)
    assert.equal(w.stagedBytes, 0)
    assert.deepEqual(staging(), [])
    await w.close()
    assert.deepEqual(listFiles(tmp), [])
    assert.equal((await query(`SELECT count(*)::INT FROM ${records(dir)}`))[0]![0], 5000)
    instance.closeSync()
  })
})

describe('Publisher: write errors', () => {
  it('surfaces a path that is a file as an error naming the path, keeps the rows, publishes them on retry', async () => {
    const root = outDir()
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
    const root = outDir()
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
      assert.deepEqual(await listDataFiles(mnt), [], 'no partial file is left behind')
      execFileSync('mount', ['-o', 'remount,size=16m', mnt])
      const p = await w.close()
      assert.deepEqual(p.map((x) => x.rows), [1000])
      assert.deepEqual(await query(`SELECT count(*)::INT, count(DISTINCT seq)::INT FROM ${records(mnt)}`), [[1000, 1000]])
    } finally {
      execFileSync('umount', [mnt])
    }
  })

  it('publishes in order and stops at the first failure', async () => {
    const dir = outDir()
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
    assert.deepEqual(await dataParquetFiles(dir), [], 'the later file is not published before the earlier one')
    assert.equal(w.stagedRows, 11)
    rmSync(blocker)
    const p = await w.close()
    assert.deepEqual(p.map((x) => [x.rows, x.path.includes('/hour=01/'), x.path.includes('/hour=11/')]), [
      [10, true, false],
      [1, false, true],
    ])
    assert.deepEqual(await query(`SELECT count(DISTINCT seq)::INT FROM ${records(dir)}`), [[11]])
  })
})
