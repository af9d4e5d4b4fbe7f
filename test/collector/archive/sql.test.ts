import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ctxName, levelName, LOSSES_COLUMNS, RECORDS_COLUMNS, typeName } from '../../../formats/archive-schema.ts'
import { copySql, lossesSelect, mono, recordsSelect, typeNameSql, utc, utcNs } from '../../../collector/archive/sql.ts'
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
    const got = await query(`SELECT ${mono('hi', 'lo')}::VARCHAR, epoch_ns(${utc('hi', 'lo', 'CAST(1764032400123456789 AS BIGINT)')})::VARCHAR
      FROM (VALUES (0::UINTEGER, 1::UINTEGER), (2097152::UINTEGER, 1::UINTEGER), (1073741823::UINTEGER, 4294967295::UINTEGER)) v(hi, lo)`)
    assert.deepEqual(got, [
      ['1', '1764032400123456790'],
      ['9007199254740993', '1773039599378197782'],
      ['4611686018427387903', '6375718418550844692'],
    ])
  })

  it('utcNs is the BIGINT mono + offset that utc() makes a timestamp of', async () => {
    const off = 'CAST(1764032400123456789 AS BIGINT)'
    const got = await query(`SELECT ${utcNs('hi', 'lo', off)}::VARCHAR, ${utcNs('hi', 'lo', off)} = epoch_ns(${utc('hi', 'lo', off)})
      FROM (VALUES (0::UINTEGER, 1::UINTEGER), (1073741823::UINTEGER, 4294967295::UINTEGER)) v(hi, lo)`)
    assert.deepEqual(got, [['1764032400123456790', true], ['6375718418550844692', true]])
  })

  it('sorts in the COPY unless the stage was staged in order', () => {
    const opts = { zstdLevel: 3, rowGroupSize: 122_880 }
    assert.match(copySql('SELECT 1', RECORDS_SPEC, '/x.parquet', opts), /^COPY \(SELECT 1 ORDER BY ts, cpu, seq\) TO '\/x\.parquet'/)
    assert.match(copySql('SELECT 1', RECORDS_SPEC, '/x.parquet', opts, true), /^COPY \(SELECT 1\) TO '\/x\.parquet' \(FORMAT parquet, USE_TMP_FILE false, COMPRESSION zstd, COMPRESSION_LEVEL 3, ROW_GROUP_SIZE 122880,/)
  })

  it('selects the schema\'s columns, in the schema\'s order', () => {
    const names = (sql: string) => [...sql.matchAll(/ AS "([a-z_]+)"/g)].map((m) => m[1])
    assert.deepEqual(names(recordsSelect('t', CH)), RECORDS_COLUMNS.map((c) => c.name))
    assert.deepEqual(names(lossesSelect('t', CH)), LOSSES_COLUMNS.map((c) => c.name))
  })
})
