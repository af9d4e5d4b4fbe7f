import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { describedType, LOSSES_COLUMNS } from '../../../formats/archive-schema.ts'
import { LossesWriter } from '../../../collector/archive/losses-writer.ts'
import type { LossRow } from '../../../collector/archive/types.ts'
import { CH_A, CH_B, FROM_NS, HOUR_NS, losses, OFFSET, parquetFiles, query, outDir, TO_NS } from './helpers.ts'

const UPTIME = 3n * 86_400_000_000_000n

function row (cpu: number, firstSeq: number, count: number, from: bigint, to: bigint, reason: LossRow['reason']): LossRow {
  return {
    cpu,
    firstSeq,
    count,
    reason,
    fromHi: Number(from >> 32n),
    fromLo: Number(from & 0xffffffffn),
    toHi: Number(to >> 32n),
    toLo: Number(to & 0xffffffffn),
  }
}

describe('LossesWriter', () => {
  it('reads back every loss exactly, with each reason', async () => {
    const dir = outDir()
    const w = await LossesWriter.open({ out: dir, host: 'h' })
    w.setChannel({ channelId: CH_A, monoToRealtimeNs: OFFSET })
    w.append(row(0, 17, 3, UPTIME, UPTIME + 999n, 'dropped'))
    w.append(row(1, 2 ** 53 - 10, 10, UPTIME + 1n, UPTIME + 2n, 'corrupt'))
    w.append(row(2, 1, 1, UPTIME + 5n, UPTIME + 5n, 'collector'))
    w.setChannel({ channelId: CH_B, monoToRealtimeNs: OFFSET + 3n })
    w.append(row(3, 500, 42, UPTIME + 10n, UPTIME + 20n, 'reload'))
    const published = await w.close()
    assert.deepEqual(published.map((p) => p.rows), [4])
    assert.deepEqual(published[0]!.maxSeq, [
      { channelId: CH_A, cpu: 0, seq: 19 },
      { channelId: CH_A, cpu: 1, seq: 2 ** 53 - 1 },
      { channelId: CH_A, cpu: 2, seq: 1 },
      { channelId: CH_B, cpu: 3, seq: 541 },
    ])
    const got = await query(`SELECT cpu, first_seq::VARCHAR, "count"::VARCHAR, ${FROM_NS}::VARCHAR, ${TO_NS}::VARCHAR,
        reason, channel_id, host FROM ${losses(dir)} ORDER BY cpu`)
    const t = (d: bigint, off = OFFSET) => (UPTIME + d + off).toString()
    assert.deepEqual(got, [
      [0, '17', '3', t(0n), t(999n), 'dropped', CH_A, 'h'],
      [1, '9007199254740982', '10', t(1n), t(2n), 'corrupt', CH_A, 'h'],
      [2, '1', '1', t(5n), t(5n), 'collector', CH_A, 'h'],
      [3, '500', '42', t(10n, OFFSET + 3n), t(20n, OFFSET + 3n), 'reload', CH_B, 'h'],
    ])
    const cols = await query(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ${losses(dir)})`)
    assert.deepEqual(cols.slice(0, LOSSES_COLUMNS.length), LOSSES_COLUMNS.map((c) => [c.name, describedType(c.type)]))
    const meta = await query(`SELECT path_in_schema, compression, stats_min_value, stats_max_value
      FROM parquet_metadata('${published[0]!.path}') ORDER BY column_id`)
    assert.deepEqual(meta.map((m) => m[0]), LOSSES_COLUMNS.map((c) => c.name))
    for (const m of meta) {
      assert.equal(m[1], 'ZSTD')
      assert.ok(m[2] !== null && m[3] !== null, `${m[0]} min/max`)
    }
    assert.deepEqual(meta.find((m) => m[0] === 'first_seq')!.slice(2, 4), ['1', '9007199254740982'])
  })

  it('partitions by the hour of ts_from and sorts by (ts_from, cpu, first_seq)', async () => {
    const dir = outDir()
    const w = await LossesWriter.open({ out: dir, host: 'h' })
    w.setChannel({ channelId: CH_A, monoToRealtimeNs: OFFSET })
    // OFFSET + UPTIME is 01:00:00.123456789; ts_to crossing the hour does not matter
    w.append(row(1, 30, 1, UPTIME + 30n, UPTIME + HOUR_NS, 'dropped'))
    w.append(row(0, 10, 1, UPTIME + 10n, UPTIME + 11n, 'dropped'))
    w.append(row(1, 10, 1, UPTIME + 10n, UPTIME + 11n, 'dropped'))
    w.append(row(0, 99, 5, UPTIME + HOUR_NS, UPTIME + HOUR_NS + 1n, 'dropped'))
    const published = await w.close()
    assert.deepEqual(published.map((p) => [p.rows, p.path.match(/date=[^/]+\/hour=\d\d/)![0]]), [
      [3, 'date=2025-11-28/hour=01'],
      [1, 'date=2025-11-28/hour=02'],
    ])
    assert.equal(parquetFiles(dir).length, 3) // and the zero-row file the writer started with
    const order = await query(`SELECT cpu, first_seq::INT FROM read_parquet('${published[0]!.path}', file_row_number=true) ORDER BY file_row_number`)
    assert.deepEqual(order, [[0, 10], [1, 10], [1, 30]])
  })

  it('refuses bad rows and takes nothing', async () => {
    const dir = outDir()
    const w = await LossesWriter.open({ out: dir, host: 'h' })
    w.setChannel({ channelId: CH_A, monoToRealtimeNs: OFFSET })
    assert.throws(() => w.append(row(0, 1, 0, UPTIME, UPTIME, 'dropped')), RangeError)
    assert.throws(() => w.append(row(0, 2 ** 53 - 1, 2, UPTIME, UPTIME, 'dropped')), RangeError)
    assert.throws(() => w.append(row(0, 1, 1, UPTIME, UPTIME, 'lost' as LossRow['reason'])), RangeError)
    assert.throws(() => w.append(row(0, 1, 1, 1n << 63n, UPTIME, 'dropped')), RangeError)
    assert.throws(() => w.append(row(0, 1, 1, UPTIME, (1n << 63n) - OFFSET, 'dropped')), RangeError)
    assert.equal(w.stagedRows, 0)
    assert.deepEqual(await w.close(), [])
  })
})
