// collector/archive/empty-file.ts: both datasets exist once a writer has opened, as one
// zero-row file with the dataset's columns, written once per host and dataset.
import assert from 'node:assert/strict'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import pl from 'nodejs-polars'
import { describedType, LOSSES_COLUMNS, RECORDS_COLUMNS } from '../../../formats/archive-schema.ts'
import { ArchiveWriteError, LossesWriter, openArchive } from '../../../collector/archive/index.ts'
import { hasParquetFile } from '../../../collector/archive/empty-file.ts'
import { blankRow, CH_A, fill, listFiles, losses, OFFSET, outDir, query, records, UPTIME, zeroRowFiles } from './helpers.ts'

const NOW = Date.UTC(2026, 10, 30, 7, 15, 42, 123)

describe('the empty dataset file', () => {
  it('a writer that never gets a row leaves one zero-row file per dataset, with the columns, in the hour it started', async () => {
    const dir = outDir()
    const a = await openArchive({ out: dir, host: 'web-01', now: () => NOW })
    assert.deepEqual(await a.close(), [])
    assert.deepEqual(listFiles(dir), [
      'losses/host=web-01/date=2026-11-30/hour=07/20261130T071542.123000000-' + listFiles(dir)[0]!.slice(-16),
      'records/host=web-01/date=2026-11-30/hour=07/20261130T071542.123000000-' + listFiles(dir)[1]!.slice(-16),
    ])
    assert.deepEqual(await zeroRowFiles(dir), listFiles(dir))
    for (const [scan, columns] of [[records(dir), RECORDS_COLUMNS], [losses(dir), LOSSES_COLUMNS]] as const) {
      assert.deepEqual(await query(`SELECT count(*) FROM ${scan}`), [['0']])
      const cols = await query(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ${scan})`)
      assert.deepEqual(cols.slice(0, columns.length), columns.map((c) => [c.name, describedType(c.type)]))
    }
    // Polars fails a scan whose glob matches nothing; this one gives zero rows with the columns
    const df = await pl.scanParquet(join(dir, 'losses/**/*.parquet'), { hivePartitioning: true } as never).collect()
    assert.equal(df.height, 0)
    assert.deepEqual(df.columns.slice(0, LOSSES_COLUMNS.length), LOSSES_COLUMNS.map((c) => c.name))
  })

  it('is written once: a restart, or a host with files of the dataset, writes none; another host gets its own', async () => {
    const dir = outDir()
    await (await openArchive({ out: dir, host: 'h', now: () => NOW })).close()
    await (await openArchive({ out: dir, host: 'h', now: () => NOW + 3_600_000 })).close()
    assert.equal(listFiles(dir).length, 2)
    await (await openArchive({ out: dir, host: 'other', now: () => NOW })).close()
    assert.equal(listFiles(dir).filter((f) => f.includes('/host=other/')).length, 2)

    const withRows = outDir()
    const a = await openArchive({ out: withRows, host: 'h', now: () => NOW })
    a.setChannel({ channelId: CH_A, monoToRealtimeNs: OFFSET })
    a.records.append(fill(blankRow(), 0, UPTIME))
    await a.close()
    const b = await openArchive({ out: withRows, host: 'h', now: () => NOW })
    await b.close()
    assert.equal(listFiles(withRows).filter((f) => f.startsWith('records/')).length, 2, 'the empty file and the data file, no second empty one')
    assert.equal((await zeroRowFiles(withRows)).length, 2)
  })

  it('a file that cannot be written at the start is written before the next publish, whose error names it', async () => {
    const dir = outDir()
    writeFileSync(join(dir, 'losses'), 'not a directory')
    const w = await LossesWriter.open({ out: dir, host: 'h', now: () => NOW })
    const err = await w.publishAll().then(() => null, (e: unknown) => e)
    assert.ok(err instanceof ArchiveWriteError, String(err))
    assert.ok(err.path.startsWith(join(dir, 'losses/host=h/date=2026-11-30/hour=07/')), err.path)
    rmSync(join(dir, 'losses'))
    assert.deepEqual(await w.close(), [])
    assert.deepEqual(await zeroRowFiles(dir), listFiles(dir))
    assert.equal(listFiles(dir).length, 1)
  })

  it('hasParquetFile finds a data file at any depth and ignores dot files', async () => {
    const dir = outDir()
    assert.equal(await hasParquetFile(join(dir, 'missing')), false)
    writeFileSync(join(dir, '.x.parquet.partial'), '')
    writeFileSync(join(dir, '.y.parquet'), '')
    assert.equal(await hasParquetFile(dir), false)
    await (await openArchive({ out: join(dir, 'a'), host: 'h', now: () => NOW })).close()
    assert.equal(await hasParquetFile(dir), true)
  })
})
