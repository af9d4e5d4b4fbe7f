// formats/archive-schema.ts and formats/ARCHIVE.md: the doc shows the schema verbatim,
// and its DuckDB examples run against files the writers produce.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import {
  columnsMarkdown, ctxName, levelName, LOSSES_COLUMNS, partitionsMarkdown, reasonsMarkdown, RECORDS_COLUMNS, typeName,
} from '../../formats/archive-schema.ts'
import { openArchive } from '../../collector/archive/index.ts'
import { blankRow, CH_A, OFFSET, query, setMono, tempDir } from '../collector/archive/helpers.ts'

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
    assert.deepEqual(results[0], [['2025-11-25 14:05:30', 0, 'err', 'text', 'test', 'disk on fire']])
    assert.deepEqual(results[1], [['dropped', 0, '4']])
    assert.deepEqual(results[2]!.map((r) => r[0]), [String(BigInt(Date.UTC(2025, 10, 25, 14, 5, 30)) * 1_000_000n)])
  })
})
