import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ctxName, describedType, levelName, LOSSES_COLUMNS, RECORDS_COLUMNS, typeName } from '../../../formats/archive-schema.ts'
import { copyOptions, copySql, emptySelect, lossesSelect, mono, recordsSelect, typeNameSql, utc, utcNanos, utcNs } from '../../../collector/archive/sql.ts'
import { RECORDS_SPEC } from '../../../collector/archive/records-writer.ts'
import { query } from './helpers.ts'

const CH = { offsetSql: 'CAST(0 AS BIGINT)', channelIdSql: '\'0000000000000000\'' }

describe('sql', () => {
  it('names every u16 record type exactly as typeName() does', async () => {
    const got = await query(`SELECT list(${typeNameSql} ORDER BY "type") FROM (SELECT range::USMALLINT AS "type" FROM range(65536))`)
    const want = Array.from({ length: 65536 }, (_, t) => typeName(t))
    assert.deepEqual(got[0]![0], want)
    assert.equal(want[0x0102], '0x0102')
    assert.equal(want[0xff01], 'gen')
  })

  it('names every u8 level and ctx as levelName()/ctxName() do, never NULL', async () => {
    const sel = recordsSelect('t', CH)
    const got = await query(`WITH t AS (SELECT 1::UINTEGER stage, 0::UINTEGER ch, 0::UINTEGER ts_hi, 0::UINTEGER ts_lo,
        range::INTEGER cpu, 1::DOUBLE seq, range::UTINYINT "level", 0::USMALLINT "type", range::UTINYINT ctx, 1::UTINYINT pk, 0 pid,
        '' comm, ''::BLOB payload FROM range(256))
      SELECT list("level" ORDER BY cpu), list(ctx ORDER BY cpu) FROM (${sel})`)
    assert.deepEqual(got[0]![0], Array.from({ length: 256 }, (_, i) => levelName(i)))
    assert.deepEqual(got[0]![1], Array.from({ length: 256 }, (_, i) => ctxName(i)))
  })

  it('builds exact 64-bit values from u32 halves and adds the offset exactly', async () => {
    const off = 'CAST(1764032400123456789 AS BIGINT)'
    const got = await query(`SELECT ${mono('hi', 'lo')}::VARCHAR, (epoch_us(${utc('hi', 'lo', off)}) * 1000 + ${utcNanos('hi', 'lo', off)})::VARCHAR
      FROM (VALUES (0::UINTEGER, 1::UINTEGER), (2097152::UINTEGER, 1::UINTEGER), (1073741823::UINTEGER, 4294967295::UINTEGER)) v(hi, lo)`)
    assert.deepEqual(got, [
      ['1', '1764032400123456790'],
      ['9007199254740993', '1773039599378197782'],
      ['4611686018427387903', '6375718418550844692'],
    ])
  })

  it('utc() is utcNs floored to the microsecond, a TIMESTAMPTZ whatever the session\'s time zone; utcNanos the rest', async () => {
    const off = 'CAST(1764032400123456789 AS BIGINT)'
    await query("SET TimeZone = 'America/New_York'")
    try {
      const got = await query(`SELECT ${utcNs('hi', 'lo', off)}::VARCHAR, epoch_us(${utc('hi', 'lo', off)})::VARCHAR, ${utcNanos('hi', 'lo', off)},
          typeof(${utc('hi', 'lo', off)}), typeof(${utcNanos('hi', 'lo', off)})
        FROM (VALUES (0::UINTEGER, 1::UINTEGER), (0::UINTEGER, 210::UINTEGER), (1073741823::UINTEGER, 4294967295::UINTEGER)) v(hi, lo)`)
      assert.deepEqual(got, [
        ['1764032400123456790', '1764032400123456', 790, 'TIMESTAMP WITH TIME ZONE', 'INTEGER'],
        ['1764032400123456999', '1764032400123456', 999, 'TIMESTAMP WITH TIME ZONE', 'INTEGER'],
        ['6375718418550844692', '6375718418550844', 692, 'TIMESTAMP WITH TIME ZONE', 'INTEGER'],
      ])
    } finally {
      await query("SET TimeZone = 'UTC'")
    }
  })

  it('writes Parquet format 2 encodings, zstd at the given level and row group size, and the format metadata', () => {
    assert.equal(copyOptions('losses', { zstdLevel: 9, rowGroupSize: 122_880 }),
      "FORMAT parquet, PARQUET_VERSION V2, USE_TMP_FILE false, COMPRESSION zstd, COMPRESSION_LEVEL 9, ROW_GROUP_SIZE 122880, KV_METADATA {'krelay.archive': '2', 'krelay.dataset': 'losses'}")
    assert.match(copyOptions('records', { zstdLevel: 3, rowGroupSize: 61_440 }, new Map([['krelay.compacted', '1']])),
      /KV_METADATA \{'krelay\.archive': '2', 'krelay\.dataset': 'records', 'krelay\.compacted': '1'\}$/)
    assert.throws(() => copyOptions('records', { zstdLevel: 23, rowGroupSize: 1 }), /zstd level 23/)
    assert.throws(() => copyOptions('records', { zstdLevel: 3, rowGroupSize: 0 }), /row group size 0/)
  })

  it('emptySelect has the columns and types and no row', async () => {
    const got = await query(`SELECT column_name, column_type FROM (DESCRIBE ${emptySelect(LOSSES_COLUMNS)})`)
    assert.deepEqual(got, LOSSES_COLUMNS.map((c) => [c.name, describedType(c.type)]))
    assert.deepEqual(await query(`SELECT count(*) FROM (${emptySelect(RECORDS_COLUMNS)})`), [['0']])
  })

  it('sorts in the COPY unless the stage was staged in order', () => {
    const opts = { zstdLevel: 3, rowGroupSize: 122_880 }
    assert.match(copySql('SELECT 1', RECORDS_SPEC, '/x.parquet', opts), /^COPY \(SELECT 1 ORDER BY ts, ts_nanos, cpu, seq\) TO '\/x\.parquet'/)
    assert.equal(copySql('SELECT 1', RECORDS_SPEC, '/x.parquet', opts, true), `COPY (SELECT 1) TO '/x.parquet' (${copyOptions('records', opts)})`)
  })

  it('selects the schema\'s columns, in the schema\'s order', () => {
    const names = (sql: string) => [...sql.matchAll(/ AS "([a-z_]+)"/g)].map((m) => m[1])
    assert.deepEqual(names(recordsSelect('t', CH)), RECORDS_COLUMNS.map((c) => c.name))
    assert.deepEqual(names(lossesSelect('t', CH)), LOSSES_COLUMNS.map((c) => c.name))
  })
})
