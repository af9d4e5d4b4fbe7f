import assert from 'node:assert/strict'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { ArchiveWriteError, openArchive } from '../../../collector/archive/index.ts'
import { blankRow, CH_A, losses, OFFSET, query, records, setMono, tempDir } from './helpers.ts'

const t = tempDir()
after(t.cleanup)

describe('openArchive', () => {
  it('runs both writers on one DuckDB instance; close() publishes both and can be retried', async () => {
    const out = join(t.dir, 'a')
    writeFileSync(out, 'in the way') // the first close fails
    const a = await openArchive({ out, host: 'h' })
    a.setChannel({ channelId: CH_A, monoToRealtimeNs: OFFSET })
    const row = blankRow()
    setMono(row, 10n ** 15n)
    for (let i = 1; i <= 3; i++) {
      row.seq = i
      a.records.append(row)
    }
    a.losses.append({ cpu: 0, firstSeq: 4, count: 2, fromHi: row.tsHi, fromLo: row.tsLo, toHi: row.tsHi, toLo: row.tsLo, reason: 'collector' })
    await assert.rejects(a.close(), ArchiveWriteError)
    assert.equal(a.records.stagedRows, 3)
    rmSync(out)
    const p = await a.close()
    assert.deepEqual(p.map((x) => [x.dataset, x.rows]), [['records', 3], ['losses', 1]])
    assert.deepEqual(await query(`SELECT count(*)::INT FROM ${records(out)}`), [[3]])
    assert.deepEqual(await query(`SELECT reason, "count"::INT FROM ${losses(out)}`), [['collector', 2]])
  })
})
