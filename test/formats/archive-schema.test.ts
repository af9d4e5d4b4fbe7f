// formats/archive-schema.ts and formats/ARCHIVE.md: the doc shows the schema verbatim,
// and its DuckDB examples run against files the writers produce.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import {
  ARCHIVE_FORMAT_VERSION, columnsMarkdown, ctxName, levelName, LOSSES_COLUMNS, PARQUET_TYPES, partitionsMarkdown, reasonsMarkdown,
  RECORDS_COLUMNS, typeName,
} from '../../formats/archive-schema.ts'
import { openArchive } from '../../collector/archive/index.ts'
import { blankRow, CH_A, OFFSET, query, queryObjects, setMono, tempDir } from '../collector/archive/helpers.ts'

const doc = readFileSync(fileURLToPath(new URL('../../formats/ARCHIVE.md', import.meta.url)), 'utf8')
const t = tempDir()
after(t.cleanup)

describe('archive schema', () => {
  it('ARCHIVE.md shows every table of the schema verbatim', () => {
    for (const table of [columnsMarkdown(RECORDS_COLUMNS), columnsMarkdown(LOSSES_COLUMNS), partitionsMarkdown(), reasonsMarkdown()]) {
      assert.ok(doc.includes(table), `ARCHIVE.md lacks:\n${table}`)
    }
  })

  it('names types, levels and contexts', () => {
    assert.deepEqual([0, 0xff01, 0xff10, 0xff11, 0xff02, 0x0102, 0xa].map(typeName), ['text', 'gen', 'sched_exec', 'sched_fork', '0xff02', '0x0102', '0x000a'])
    assert.deepEqual([0, 3, 7, 8].map(levelName), ['emerg', 'err', 'debug', '8'])
    assert.deepEqual([0, 1, 2, 3].map(ctxName), ['task', 'softirq', 'hardirq', '3'])
  })

  it('the DuckDB examples in ARCHIVE.md run against an archive', async () => {
    const a = await openArchive({ out: t.dir, host: 'web-01' })
    a.setChannel({ channelId: CH_A, monoToRealtimeNs: OFFSET })
    const row = blankRow()
    // 2025-11-25T14:05:30Z
    setMono(row, BigInt(Date.UTC(2025, 10, 25, 14, 5, 30)) * 1_000_000n - OFFSET)
    row.seq = 1
    row.level = 3
    row.msg = 'disk on fire'
    a.records.append(row)
    a.losses.append({ cpu: 0, firstSeq: 2, count: 4, fromHi: row.tsHi, fromLo: row.tsLo, toHi: row.tsHi, toLo: row.tsLo + 10, reason: 'dropped' })
    const published = await a.close()
    assert.deepEqual(published.map((p) => [p.dataset, p.rows]), [['records', 1], ['losses', 1]])

    const blocks = [...doc.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!)
    assert.ok(blocks.length > 0)
    const results: unknown[][][] = []
    for (const block of blocks) {
      for (const stmt of block.split(/;\s*\n/).map((s) => s.trim()).filter((s) => s.replace(/--.*$/gm, '').trim())) {
        results.push(await query(stmt.replaceAll('<out>', t.dir)))
      }
    }
    assert.deepEqual(results[0], [['2025-11-25 14:05:30+00', 0, 0, 'err', 'text', 'test', 'disk on fire']])
    assert.deepEqual(results[1], [['dropped', 0, '4']])
    const ns = BigInt(Date.UTC(2025, 10, 25, 14, 5, 30)) * 1_000_000n
    assert.deepEqual(results[2], [[String(ns), String(ns - OFFSET)]])
  })

  it('every file has the Parquet types of the tables, OPTIONAL columns with no NULL where NOT NULL, format 2 encodings', async () => {
    const a = await openArchive({ out: t.dir, host: 'types-01' })
    a.setChannel({ channelId: CH_A, monoToRealtimeNs: OFFSET })
    const row = blankRow()
    for (let i = 0; i < 3000; i++) {
      setMono(row, 5_000_000_000n + BigInt(i) * 1237n)
      row.seq = i + 1
      row.kind = i % 3 === 0 ? 2 : 1
      row.msg = row.kind === 1 ? `m ${i}` : null
      row.data = row.kind === 2 ? Uint8Array.of(i & 255) : null
      a.records.append(row)
    }
    a.losses.append({ cpu: 0, firstSeq: 3001, count: 4, fromHi: row.tsHi, fromLo: row.tsLo, toHi: row.tsHi, toLo: row.tsLo + 10, reason: 'dropped' })
    const published = await a.close()
    for (const [dataset, columns] of [['records', RECORDS_COLUMNS], ['losses', LOSSES_COLUMNS]] as const) {
      const file = published.find((p) => p.dataset === dataset)!.path
      const schema = await query(`SELECT name, type, repetition_type, converted_type, logical_type FROM parquet_schema('${file}') WHERE name <> 'duckdb_schema'`)
      assert.deepEqual(schema.map((c) => c[0]), columns.map((c) => c.name))
      for (const [name, type, repetition, converted, logical] of schema) {
        const c = columns.find((x) => x.name === name)!
        const want = PARQUET_TYPES[c.type]
        const [physical, annotation] = [want.split(' ')[0], want.split(' ').slice(1).join(' ')]
        assert.equal(type, physical, `${name} physical type`)
        assert.equal(repetition, 'OPTIONAL', `${name}: DuckDB writes every column OPTIONAL`)
        if (annotation === 'TIMESTAMP(MICROS, isAdjustedToUTC=true)') {
          assert.equal(converted, 'TIMESTAMP_MICROS')
          assert.match(String(logical), /^TimestampType\(isAdjustedToUTC=1, unit=TimeUnit\(MILLIS=<null>, MICROS=MicroSeconds\(\), NANOS=<null>\)\)$/)
        } else if (annotation === 'STRING') {
          assert.equal(converted, 'UTF8', String(name))
        } else {
          // signed integers and plain binary: nothing unsigned, nothing decimal
          assert.ok(converted === null || converted === 'INT_32' || converted === 'INT_64', `${name}: ${String(converted)}`)
          assert.equal(logical, null, String(name))
        }
      }
      const meta = await queryObjects(`SELECT path_in_schema AS col, stats_null_count AS nulls, encodings FROM parquet_metadata('${file}')`)
      for (const m of meta) {
        const c = columns.find((x) => x.name === m.col)!
        if (!c.nullable) assert.equal(m.nulls, '0', `${dataset}.${c.name}: null_count 0`)
      }
      const kv = await query(`SELECT decode(key), decode(value) FROM parquet_kv_metadata('${file}') ORDER BY 1`)
      assert.deepEqual(kv, [['krelay.archive', ARCHIVE_FORMAT_VERSION], ['krelay.dataset', dataset]])
      if (dataset === 'records') {
        for (const col of ['ts', 'ts_nanos', 'seq']) assert.match(String(meta.find((m) => m.col === col)!.encodings), /DELTA_BINARY_PACKED/, col)
      }
    }
    assert.equal(ARCHIVE_FORMAT_VERSION, '2')
  })
})
