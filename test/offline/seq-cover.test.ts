import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { seqCover } from '../../offline/seq-cover.ts'
import { tempDir } from '../temp-dir.ts'

/** An archive with `records` (cpu, seq) and `losses` (cpu, first_seq, count) rows of channel c1, one file each. */
async function archive (records: Array<[number, number]>, losses: Array<[number, number, number]>): Promise<string> {
  const out = tempDir('krelay-seq-cover-')
  const { DuckDBInstance } = await import('@duckdb/node-api')
  const instance = await DuckDBInstance.create(':memory:')
  const conn = await instance.connect()
  try {
    const write = async (dataset: string, select: string, rows: string[]): Promise<void> => {
      if (rows.length === 0) return
      const dir = path.join(out, dataset, 'host=h')
      fs.mkdirSync(dir, { recursive: true })
      await conn.run(`COPY (SELECT ${select} FROM (VALUES ${rows.join(', ')}) v(a, b, c)) TO '${dir}/x.parquet' (FORMAT parquet, KV_METADATA {'krelay.archive': '1'})`)
    }
    await write('records', '\'c1\' AS channel_id, a::INTEGER AS cpu, b::UBIGINT AS seq', records.map(([cpu, seq]) => `(${cpu}, ${seq}, 0)`))
    await write('losses', '\'c1\' AS channel_id, a::INTEGER AS cpu, b::UBIGINT AS first_seq, c::UBIGINT AS count', losses.map(r => `(${r.join(', ')})`))
  } finally {
    conn.closeSync()
    instance.closeSync()
  }
  return out
}

const seqs = (cpu: number, from: number, to: number): Array<[number, number]> =>
  Array.from({ length: to - from + 1 }, (_, i) => [cpu, from + i])

test('records and loss rows that tile 1..N: no gap, no overlap', async () => {
  const out = await archive([...seqs(0, 1, 5), ...seqs(0, 9, 10), ...seqs(1, 1, 3)], [[0, 6, 3], [1, 4, 0]])
  assert.deepEqual(await seqCover(out), [
    { channelId: 'c1', cpu: 0, first: 1, last: 10, records: 7, lastRecord: 10, lost: 3, gaps: 0, overlaps: 0 },
    { channelId: 'c1', cpu: 1, first: 1, last: 3, records: 3, lastRecord: 3, lost: 0, gaps: 0, overlaps: 0 },
  ])
})

test('a missing record is a gap, named', async () => {
  const [c] = await seqCover(await archive([...seqs(0, 1, 3), ...seqs(0, 6, 7)], []))
  assert.equal(c!.gaps, 1)
  assert.equal(c!.overlaps, 0)
  assert.equal(c!.problem, 'seq 4..5 missing')
})

test('a loss row twice and a record inside a loss row are overlaps, even when the counts add up', async () => {
  // 1..4 records, 5..6 lost twice, 7 missing: 4 + 2 + 2 - 1 missing = 7 sequence numbers by count
  const twice = await seqCover(await archive(seqs(0, 1, 4), [[0, 5, 2], [0, 5, 2]]))
  assert.equal(twice[0]!.overlaps, 1)
  assert.equal(twice[0]!.problem, 'seq 5 covered twice')
  const inside = await seqCover(await archive(seqs(0, 1, 6), [[0, 4, 3]]))
  assert.equal(inside[0]!.overlaps, 3)
  assert.equal(inside[0]!.problem, 'seq 4 covered twice')
})

test('a record archived twice is an overlap; a stream not from 1 shows in first', async () => {
  const [c] = await seqCover(await archive([...seqs(0, 3, 5), [0, 4]], []))
  assert.equal(c!.first, 3)
  assert.equal(c!.overlaps, 1)
  assert.equal(c!.problem, 'seq 4 covered twice')
})

test('an empty archive has nothing to cover', async () => {
  assert.deepEqual(await seqCover(tempDir('krelay-seq-cover-')), [])
})
