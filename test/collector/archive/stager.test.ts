// Staging mechanics (collector/archive/stager.ts), driven through the records writer:
// sealing by size and age, appending while a stage is published, the staging bound,
// and the DuckDB settings that bound the collector's memory.
import assert from 'node:assert/strict'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { ArchiveWriteError, StagingFullError } from '../../../collector/archive/errors.ts'
import { RecordsWriter } from '../../../collector/archive/records-writer.ts'
import { createInstance } from '../../../collector/archive/stager.ts'
import { blankRow, bulk, CH_A, dataParquetFiles, fill, OFFSET, query, records, outDir, UPTIME } from './helpers.ts'

describe('Stager', () => {
  it('rotates by size: each file holds about maxFileBytes, names sort by time', async () => {
    const dir = outDir()
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
    const names = (await dataParquetFiles(dir))
    assert.equal(names.length, 11)
    assert.deepEqual(published.map((p) => p.path.slice(dir.length + 1)), [...names].sort())
    // consecutive files do not overlap in time
    const ranges = await query(`SELECT filename, min(seq)::INT, max(seq)::INT FROM read_parquet('${dir}/records/**/*.parquet', filename=true) GROUP BY filename ORDER BY filename`)
    for (let i = 1; i < ranges.length; i++) assert.equal(ranges[i]![1], (ranges[i - 1]![2] as number) + 1)
  })

  it('setLimits (a reload): the file size and age apply from the next row on', async () => {
    const dir = outDir()
    let now = 1_000_000
    const w = await RecordsWriter.open({ out: dir, host: 'h', maxFileBytes: 10_000, maxAgeSeconds: 30, now: () => now })
    w.setChannel({ channelId: CH_A, monoToRealtimeNs: OFFSET })
    const row = blankRow()
    const put = (from: number, n: number): void => {
      for (let i = from; i < from + n; i++) {
        fill(row, i, UPTIME + BigInt(i) * 1_000_000n)
        row.msg = 'x'.repeat(50) // 103 bytes a row
        w.append(row)
      }
    }
    put(0, 60)
    w.setLimits(5_000, 10) // the open stage (6180 bytes) is over the new size: sealed at once
    assert.equal(w.sealedWaiting, true)
    put(60, 100) // 49 rows fill 5000 bytes
    now += 10_000
    assert.equal(w.due, true, 'the new age applies to the open file')
    const published = await w.publishDue()
    assert.deepEqual(published.map((p) => p.rows), [60, 49, 49, 2])
    assert.throws(() => w.setLimits(0, 10), /maxFileBytes must be > 0/)
    await w.close()
  })

  it('rotates by age: publishDue writes the open file once its first row is maxAgeSeconds old', async () => {
    const dir = outDir()
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
    assert.deepEqual((await dataParquetFiles(dir)), [])
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
    assert.equal((await dataParquetFiles(dir)).length, 2)
    await w.close()
  })

  it('publishSealedNow publishes full files only, never the open one for its age; sealedWaiting says when one waits', async () => {
    const dir = outDir()
    let now = 1_000_000
    const w = await RecordsWriter.open({ out: dir, host: 'h', maxFileBytes: 10_000, maxAgeSeconds: 30, now: () => now })
    w.setChannel({ channelId: CH_A, monoToRealtimeNs: OFFSET })
    const row = blankRow()
    const put = (from: number, n: number): void => {
      for (let i = from; i < from + n; i++) {
        fill(row, i, UPTIME + BigInt(i) * 1_000_000n)
        row.msg = 'x'.repeat(50) // 103 bytes a row: 98 rows fill a file
        w.append(row)
      }
    }
    put(0, 50)
    now += 60_000
    assert.equal(w.sealedWaiting, false, 'an old open file is not sealed')
    assert.deepEqual(await w.publishSealedNow(), [])
    put(50, 48)
    assert.equal(w.sealedWaiting, true, 'the file is full: sealed at the next row or publish')
    const first = w.publishSealedNow()
    assert.equal(w.sealedWaiting, false, 'taken on by the publish under way')
    put(98, 100)
    assert.equal(w.sealedWaiting, true)
    assert.deepEqual((await first).map((p) => p.rows), [98])
    assert.deepEqual((await w.publishSealedNow()).map((p) => p.rows), [98])
    assert.equal(w.sealedWaiting, false)
    assert.deepEqual((await w.close()).map((p) => p.rows), [2])
    assert.equal((await dataParquetFiles(dir)).length, 3)
  })

  it('keeps appending while a file is being published, and loses or repeats nothing', async () => {
    const dir = outDir()
    const w = await RecordsWriter.open({ out: dir, host: 'h', maxFileBytes: 200_000, maxStagedBytes: 1e9 })
    w.setChannel({ channelId: CH_A, monoToRealtimeNs: OFFSET })
    const row = blankRow()
    let i = 0
    for (; i < 20_000; i++) w.append(fill(row, i, UPTIME + BigInt(i) * 1000n))
    let settled = false
    const first = w.publishAll().finally(() => (settled = true))
    let overlapped = 0
    // `settled` is set by the publish's finally while this loop awaits. Bounded: publishAll
    // also takes the stages sealed meanwhile, so appending faster than DuckDB publishes
    // (a machine whose page faults are dear) would keep it going until staging is full
    // eslint-disable-next-line no-unmodified-loop-condition
    while (!settled && overlapped < 100) {
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

  it('refuses rows beyond maxStagedBytes with StagingFullError, taking nothing', async () => {
    const root = outDir()
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

  it('copies on one DuckDB thread, caching no file, into row groups of 61,440 rows by default', async () => {
    const instance = await createInstance({ tempDirectory: join(outDir(), 'duckdb') })
    const conn = await instance.connect()
    const settings = await conn.runAndReadAll("SELECT current_setting('threads'), current_setting('enable_external_file_cache')")
    assert.deepEqual(settings.getRows()[0]!.map(String), ['1', 'false'])
    conn.closeSync()
    instance.closeSync()

    const dir = outDir()
    const w = await RecordsWriter.open({ out: dir, host: 'h' })
    w.setChannel({ channelId: CH_A, monoToRealtimeNs: OFFSET })
    const row = blankRow()
    for (let i = 0; i < 61_441; i++) w.append(fill(row, i, UPTIME + BigInt(i) * 1000n))
    const [p] = await w.close()
    const groups = await query(`SELECT row_group_id::INT, row_group_num_rows::INT FROM parquet_metadata('${p!.path}') WHERE column_id = 0 ORDER BY 1`)
    assert.deepEqual(groups, [[0, 61_440], [1, 1]])
  })
})
