// The staging file writer (collector/archive/plain-parquet.ts): what DuckDB reads back.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { ByteColumn, PlainParquetFile, type PlainColumn } from '../../../collector/archive/plain-parquet.ts'
import { outDir, query } from './helpers.ts'

describe('PlainParquetFile', () => {
  it('writes every column type, over row groups, as DuckDB reads it back', async () => {
    const path = join(outDir(), 'a.parquet')
    const cols: PlainColumn[] = [
      { name: 'u8', type: 'u8' }, { name: 'u16', type: 'u16' }, { name: 'u32', type: 'u32' }, { name: 'i32', type: 'i32' },
      { name: 'f64', type: 'f64' }, { name: 's', type: 'utf8' }, { name: 'b', type: 'bytes' },
    ]
    const f = new PlainParquetFile(path, cols)
    const s = new ByteColumn()
    const b = new ByteColumn()
    for (let g = 0; g < 3; g++) {
      for (const t of ['héllo', '', `x\u0000y${g}`]) s.appendString(t)
      for (let i = 0; i < 3; i++) b.append(Uint8Array.of(0, 1, 0xff, 7), 0, i + g)
      f.writeRowGroup(3, [
        Uint32Array.of(255, 0, g), Uint32Array.of(65535, 1, g), Uint32Array.of(0xffffffff, 2, g), Int32Array.of(-1, -2147483648, g),
        Float64Array.of(2 ** 53 - 1, 0.5, g), s, b,
      ])
      s.reset()
      b.reset()
    }
    f.close()
    const types = await query(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('${path}'))`)
    assert.deepEqual(types, [['u8', 'UTINYINT'], ['u16', 'USMALLINT'], ['u32', 'UINTEGER'], ['i32', 'INTEGER'], ['f64', 'DOUBLE'], ['s', 'VARCHAR'], ['b', 'BLOB']])
    const rows = await query(`SELECT u8, u16, u32, i32, f64, s, hex(b) FROM read_parquet('${path}', file_row_number=true) ORDER BY file_row_number`)
    assert.equal(rows.length, 9)
    assert.deepEqual(rows.slice(0, 3), [
      [255, 65535, 4294967295, -1, 9007199254740991, 'héllo', ''],
      [0, 1, 2, -2147483648, 0.5, '', '00'],
      [0, 0, 0, 0, 0, 'x\u0000y0', '0001'],
    ])
    assert.deepEqual(rows[8], [2, 2, 2, 2, 2, 'x\u0000y2', '0001FF07'])
    const groups = await query(`SELECT count(DISTINCT row_group_id)::INT FROM parquet_metadata('${path}')`)
    assert.deepEqual(groups, [[3]])
  })

  it('writes many columns and large row groups (long Thrift list headers, multi-byte varints)', async () => {
    const path = join(outDir(), 'b.parquet')
    const n = 100_000
    const cols: PlainColumn[] = Array.from({ length: 20 }, (_, i) => ({ name: `c${i}`, type: 'u32' }))
    const f = new PlainParquetFile(path, cols)
    const data = cols.map((_, c) => Uint32Array.from({ length: n }, (_, i) => i * 20 + c))
    f.writeRowGroup(n, data)
    f.writeRowGroup(n, data)
    f.close()
    const got = await query(`SELECT count(*)::INT, sum(c0)::DOUBLE, max(c19)::DOUBLE FROM read_parquet('${path}')`)
    assert.deepEqual(got, [[2 * n, 2 * 20 * (n * (n - 1)) / 2, (n - 1) * 20 + 19]])
  })
})

describe('ByteColumn', () => {
  it('PLAIN-encodes values, tells ASCII from not, drops the last value, grows', () => {
    const c = new ByteColumn()
    assert.equal(c.append(Buffer.from('abc'), 0, 3), 0x63)
    assert.ok(c.append(Buffer.from('é'), 0, 2) >= 0x80)
    c.dropLast(2)
    c.appendString('\uD800')
    assert.deepEqual([...c.buf.subarray(0, c.len)], [3, 0, 0, 0, 0x61, 0x62, 0x63, 3, 0, 0, 0, 0xef, 0xbf, 0xbd])
    const big = new Uint8Array(300_000).fill(7)
    c.append(big, 0, big.length)
    assert.equal(c.len, 14 + 4 + 300_000)
    assert.equal(c.buf.readUInt32LE(14), 300_000)
    assert.equal(c.buf[c.len - 1], 7)
    assert.equal(c.buf[4], 0x61, 'growing kept what was there')
  })

  it('appendView stages the same bytes as append, from any offset, and tells ASCII from not', () => {
    const src = Buffer.from('..hello world, a longer value\u00e9!', 'utf8')
    const view = new DataView(src.buffer, src.byteOffset, src.length)
    for (let start = 0; start < 6; start++) {
      for (let end = start; end <= src.length; end += 3) {
        const a = new ByteColumn()
        const b = new ByteColumn()
        const orA = a.append(src, start, end)
        const orB = b.appendView(view, start, end)
        assert.deepEqual(b.buf.subarray(0, b.len), a.buf.subarray(0, a.len), `${start}..${end}`)
        assert.equal(orB >= 0x80, orA >= 0x80, `${start}..${end}`)
      }
    }
    const c = new ByteColumn()
    const big = new DataView(new ArrayBuffer(200_001))
    big.setUint8(200_000, 0x41)
    assert.equal(c.appendView(big, 1, 200_001), 0x41)
    assert.equal(c.len, 4 + 200_000)
  })
})
