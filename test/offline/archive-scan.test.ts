// offline/archive-scan.ts: krelay's readers give the same results on an archive of format
// version 1 as on the same rows in version 2, and on a mix of both. The version 1 files
// are written here as the version 1 collector wrote them: DuckDB's COPY of the same rows
// with v1's types (TIMESTAMP_NS ts, mono_ns, UBIGINT seqs), format 1 encodings, and
// `krelay.archive` = 1.
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { describe, it } from 'node:test'
import { DuckDBInstance } from '@duckdb/node-api'
import { openArchive } from '../../collector/archive/index.ts'
import { lit } from '../../collector/archive/sql.ts'
import { ArchiveReader } from '../../cli/tail/archive-read.ts'
import { archiveHistory } from '../../cli/tail/archive-history.ts'
import { LiveFilter } from '../../collector/live/filter.ts'
import { archiveScan, datasetFiles, parquetFiles } from '../../offline/archive-scan.ts'
import { readArchive } from '../../offline/read-archive.ts'
import { seqCover } from '../../offline/seq-cover.ts'
import { readLossRows } from '../loss-rows.ts'
import { blankRow, CH_A, CH_B, HOUR_NS, OFFSET, outDir, query, setMono, UPTIME } from '../collector/archive/helpers.ts'

/** The kernel time of the i-th record: 1500 records over 2.5 hours, with nanoseconds */
const at = (i: number): bigint => UPTIME + BigInt(i) * (HOUR_NS / 600n) + BigInt(i % 1000)

/** A v2 archive with two channels, three hours, text and binary records, gaps and their loss rows. */
async function v2Archive (): Promise<string> {
  const out = outDir()
  const a = await openArchive({ out, host: 'web-01', maxFileBytes: 20_000, maxStagedBytes: 10_000_000 })
  const row = blankRow()
  // channel B (another module load, another offset) on CPUs 2 and 3: readLossRows keys by CPU
  for (const [ch, offset, cpu0] of [[CH_A, OFFSET, 0], [CH_B, OFFSET + 7_777n, 2]] as const) {
    a.setChannel({ channelId: ch, monoToRealtimeNs: offset })
    for (let i = 0; i < 1500; i++) {
      const seq = (i >> 1) + 1
      const cpu = cpu0 + (i % 2)
      // a gap of seqs 500..509 on the first CPU of each channel: a loss row
      if (cpu === cpu0 && seq >= 500 && seq < 510) continue
      setMono(row, at(i))
      row.cpu = cpu
      row.seq = seq
      row.level = i % 8
      row.type = i % 3 === 0 ? 0xff01 : 0
      row.kind = i % 3 === 0 ? 2 : 1
      row.msg = row.kind === 1 ? `record ${i} ✓` : null
      row.data = row.kind === 2 ? Uint8Array.of(i & 255, 0, 255, i >> 8) : null
      row.comm = `comm${i % 5}`
      row.pid = 100 + (i % 7)
      a.records.append(row)
    }
    const before = at(2 * 498) // seq 499
    const after = at(2 * 509) // seq 510
    const h = (v: bigint): { hi: number, lo: number } => ({ hi: Number(v >> 32n), lo: Number(v & 0xffffffffn) })
    a.losses.append({ cpu: cpu0, firstSeq: 500, count: 10, fromHi: h(before).hi, fromLo: h(before).lo, toHi: h(after).hi, toLo: h(after).lo, reason: 'dropped' })
  }
  await a.close()
  return out
}

const V1_RECORDS = `make_timestamp_ns(epoch_us(ts) * 1000 + ts_nanos) AS ts, epoch_us(ts) * 1000 + ts_nanos - mono_offset_ns AS mono_ns,
  cpu, seq::UBIGINT AS seq, level, type, ctx, pid, comm, msg, data, channel_id`
const V1_LOSSES = `cpu, first_seq::UBIGINT AS first_seq, count::UBIGINT AS count, make_timestamp_ns(epoch_us(ts_from) * 1000 + ts_from_nanos) AS ts_from,
  make_timestamp_ns(epoch_us(ts_to) * 1000 + ts_to_nanos) AS ts_to, reason, channel_id`

/** The same archive in format version 1 (every file, or those `which` picks), file for file at the same paths. */
async function asV1 (v2: string, which: (i: number) => boolean = () => true): Promise<string> {
  const out = outDir()
  const db = await DuckDBInstance.create(':memory:')
  const conn = await db.connect()
  try {
    let i = 0
    for (const dataset of ['records', 'losses'] as const) {
      for (const f of datasetFiles(v2, dataset)) {
        const to = join(out, f.slice(v2.length + 1))
        mkdirSync(dirname(to), { recursive: true })
        const v1 = which(i++)
        const select = v1 ? (dataset === 'records' ? V1_RECORDS : V1_LOSSES) : '* EXCLUDE (file_row_number)'
        const opts = v1 ? `KV_METADATA {'krelay.archive': '1', 'krelay.dataset': '${dataset}'}` : `PARQUET_VERSION V2, KV_METADATA {'krelay.archive': '2', 'krelay.dataset': '${dataset}'}`
        await conn.run(`COPY (SELECT ${select} FROM read_parquet(${lit(f)}, file_row_number = true) ORDER BY file_row_number)
          TO ${lit(to)} (FORMAT parquet, COMPRESSION zstd, ${opts})`)
      }
    }
  } finally {
    conn.closeSync()
    db.closeSync()
  }
  return out
}

/** What tail's archive reader reads of every file, in file order, with the paths made relative. */
async function tailRows (out: string): Promise<unknown[]> {
  const reader = await ArchiveReader.open()
  const got: unknown[] = []
  try {
    for (const dataset of ['records', 'losses'] as const) {
      for (const f of datasetFiles(out, dataset)) {
        const each = (row: unknown[]): void => { got.push([f.slice(out.length), ...row.map((v) => v instanceof Uint8Array ? [...v] : v)]) }
        if (dataset === 'records') await reader.records(f, each, async () => {})
        else await reader.losses(f, each, async () => {})
        got.push(['last', await reader.lastTs(f, dataset)])
      }
    }
  } finally {
    reader.dispose()
  }
  return got
}

async function history (out: string): Promise<unknown> {
  const h = await archiveHistory(out, { lines: 100_000, filter: new LiveFilter({}) }, false, 0)
  const since = await archiveHistory(out, { lines: 100_000, since: OFFSET + UPTIME + HOUR_NS, filter: new LiveFilter({}) }, false, 0)
  const plain = (x: { channelId: string, cpu: number, seq: number, mono: bigint, view?: DataView, loss?: unknown }): unknown =>
    [x.channelId, x.cpu, x.seq, x.mono, x.view === undefined ? x.loss : [...new Uint8Array(x.view.buffer, x.view.byteOffset, x.view.byteLength)]]
  return [h.records.map(plain), h.losses.map(plain), since.records.length, since.losses.length]
}

describe('archive format version 1 and 2 alike', () => {
  it('the version 1 copy is what the version 1 collector wrote: TIMESTAMP(NANOS) ts, mono_ns, UINT_64 seq', async () => {
    const v1 = await asV1(await v2Archive())
    const f = datasetFiles(v1, 'records')[0]!
    const schema = await query(`SELECT name, converted_type FROM parquet_schema(${lit(f)}) WHERE name IN ('ts', 'mono_ns', 'seq') ORDER BY name`)
    assert.deepEqual(schema, [['mono_ns', 'INT_64'], ['seq', 'UINT_64'], ['ts', null]])
    assert.match(String((await query(`SELECT logical_type FROM parquet_schema(${lit(f)}) WHERE name = 'ts'`))[0]![0]), /NANOS=NanoSeconds/)
  })

  it('read-archive, seq-cover, the loss rows, tail\'s archive reader and history: the same results from v1, v2 and a mix', async () => {
    const v2 = await v2Archive()
    const v1 = await asV1(v2)
    const mixed = await asV1(v2, (i) => i % 2 === 0)
    assert.ok(parquetFiles(join(v2, 'records')).length >= 4, 'several files')
    const want = {
      archive: await readArchive(v2),
      cover: await seqCover(v2),
      losses: await readLossRows(v2),
      tail: await tailRows(v2),
      history: await history(v2),
    }
    // the v2 results are what the archive holds
    assert.equal(want.archive.records, 2 * (1500 - 10))
    assert.equal(want.archive.lostRecords, 20)
    assert.deepEqual([want.archive.duplicates, want.archive.unsortedKeyRows, want.archive.unsortedLossRows, want.archive.lossOverlaps, want.archive.badLossRanges], [0, 0, 0, 0, 0])
    assert.deepEqual(want.cover.map((c) => [c.gaps, c.overlaps]), [[0, 0], [0, 0], [0, 0], [0, 0]])
    assert.deepEqual(want.losses.map((l) => [l.firstSeq, l.count, l.neighbours]), [[500, 10, true], [500, 10, true]])
    for (const [name, out] of [['v1', v1], ['mixed', mixed]] as const) {
      assert.deepEqual(await readArchive(out), want.archive, `${name}: readArchive`)
      assert.deepEqual(await seqCover(out), want.cover, `${name}: seqCover`)
      assert.deepEqual(await readLossRows(out), want.losses, `${name}: loss rows`)
      assert.deepEqual(await tailRows(out), want.tail, `${name}: tail's archive reader`)
      assert.deepEqual(await history(out), want.history, `${name}: tail's history`)
    }
  })

  it('maps every column of a v1 file to the v2 shape exactly; no file gives the columns and no row; a file of no version is an error', async () => {
    const v2 = await v2Archive()
    const v1 = await asV1(v2)
    const db = await DuckDBInstance.create(':memory:')
    const conn = await db.connect()
    try {
      const rows = async (out: string, dataset: 'records' | 'losses'): Promise<unknown[]> => {
        const scan = await archiveScan(conn, datasetFiles(out, dataset), dataset, { hive: true })
        return (await conn.runAndReadAll(`SELECT * FROM ${scan} ORDER BY ALL`)).getRowsJson()
      }
      for (const dataset of ['records', 'losses'] as const) assert.deepEqual(await rows(v1, dataset), await rows(v2, dataset), dataset)
      const empty = await archiveScan(conn, [], 'losses', { hive: true })
      const described = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${empty}`)).getRowsJson().map((r) => r.slice(0, 2))
      const full = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${await archiveScan(conn, datasetFiles(v2, 'losses'), 'losses', { hive: true })}`)).getRowsJson().map((r) => r.slice(0, 2))
      assert.deepEqual(described, full)
      assert.deepEqual((await conn.runAndReadAll(`SELECT count(*) FROM ${empty}`)).getRowsJson(), [['0']])
      const bare = join(outDir(), 'bare.parquet')
      await conn.run(`COPY (SELECT 1 AS cpu) TO ${lit(bare)} (FORMAT parquet)`)
      await assert.rejects(archiveScan(conn, [bare], 'records'), /bare\.parquet: not a krelay archive file/)
    } finally {
      conn.closeSync()
      db.closeSync()
    }
  })
})
