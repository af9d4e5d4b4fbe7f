// Archive hours for the compaction tests, written with DuckDB COPY in the shape of archive
// format version 1 (as the collector writes it today) and version 2 (/tmp/v2-spec.md, the
// shape the v2 writer produces): several files per hour, each sorted, all of them spanning
// the whole hour (so the output must interleave them) or one block of it each, with every
// column filled.
import fs from 'node:fs'
import { join } from 'node:path'
import type { DuckDBConnection } from '@duckdb/node-api'
import { fileBaseName, finalName, partitionDir } from '../../../collector/archive/paths.ts'
import { stampNs } from '../../../collector/archive/time.ts'

export const HOUR_NS = 3_600_000_000_000n
/** 2026-11-30T10:00:00Z */
export const H0 = 1_796_032_800_000_000_000n

export interface HourSpec {
  readonly version: '1' | '2'
  readonly dataset?: 'records' | 'losses'
  /** UTC ns of the hour's start */
  readonly hourNs: bigint
  /** files with rows; rows are dealt to them in turn */
  readonly files: number
  readonly rows: number
  /** zero-row files besides */
  readonly empty?: number
  readonly host?: string
  readonly channel?: string
  /** added to every seq: hours of one channel do not repeat seqs */
  readonly seqBase?: number
  /**
   * rows in one block of times per file, in name order: files that do not overlap, as a
   * collector writes them (by default the files interleave over the whole hour)
   */
  readonly blocks?: boolean
  /** this file's rows are written out of order (a file breaking formats/ARCHIVE.md) */
  readonly unsortedFile?: number
}

/** Rows of one file: global index i in [0, rows) dealt to file f in turn (or in blocks); exact time t (ns), cpu, seq. */
function rowsSql (s: HourSpec, f: number): string {
  const step = HOUR_NS / BigInt(Math.max(1, s.rows))
  return `SELECT i, (${s.hourNs} + i * ${step} + (i * 7919) % 1000)::BIGINT AS t, (i % 3)::INTEGER AS c,
    (i // 3 + 1 + ${s.seqBase ?? 0})::BIGINT AS s FROM range(${s.rows}) r(i) WHERE ${s.blocks === true ? `i * ${s.files} // ${s.rows}` : `i % ${s.files}`} = ${f}`
}

function recordsSelect (v: '1' | '2', channel: string): string {
  const time = v === '1'
    ? 'make_timestamp_ns(t) AS ts, (t - 1000000000000)::BIGINT AS mono_ns'
    : 'make_timestamp(t // 1000)::TIMESTAMPTZ AS ts, (t % 1000)::INTEGER AS ts_nanos, 1796000000000000000::BIGINT AS mono_offset_ns'
  return `SELECT ${time}, c AS cpu, ${v === '1' ? 's::UBIGINT' : 's'} AS seq,
    ['info', 'err', 'debug'][i % 3 + 1] AS level, CASE WHEN i % 2 = 0 THEN 'text' ELSE 'gen' END AS type, 'task' AS ctx,
    (1000 + i % 17)::INTEGER AS pid, 'comm' || (i % 5) AS comm,
    CASE WHEN i % 2 = 0 THEN 'message ' || i || ' ' || md5(i::VARCHAR) END AS msg, CASE WHEN i % 2 = 1 THEN encode('data' || i) END AS data,
    '${channel}' AS channel_id`
}

function lossesSelect (v: '1' | '2', channel: string): string {
  const times = v === '1'
    ? 'make_timestamp_ns(t) AS ts_from, make_timestamp_ns(t + 500) AS ts_to'
    : 'make_timestamp(t // 1000)::TIMESTAMPTZ AS ts_from, (t % 1000)::INTEGER AS ts_from_nanos, ' +
      'make_timestamp((t + 500) // 1000)::TIMESTAMPTZ AS ts_to, ((t + 500) % 1000)::INTEGER AS ts_to_nanos'
  const u = v === '1' ? 'UBIGINT' : 'BIGINT'
  return `SELECT c AS cpu, s::${u} AS first_seq, (i % 4)::${u} AS count, ${times},
    ['dropped', 'corrupt', 'collector'][i % 3 + 1] AS reason, '${channel}' AS channel_id`
}

/** Writes one hour's files; returns the hour directory. */
export async function writeHour (conn: DuckDBConnection, out: string, s: HourSpec): Promise<string> {
  await conn.run("SET TimeZone = 'UTC'")
  const dataset = s.dataset ?? 'records'
  const dir = partitionDir(out, dataset, s.host ?? 'h1', Number(s.hourNs / HOUR_NS))
  fs.mkdirSync(dir, { recursive: true })
  const channel = s.channel ?? '9f3c2a71d04b5e86'
  const select = dataset === 'records' ? recordsSelect(s.version, channel) : lossesSelect(s.version, channel)
  const sorted = dataset === 'records' ? 'ORDER BY ts, cpu, seq' : 'ORDER BY ts_from, cpu, first_seq'
  const opts = `FORMAT parquet, COMPRESSION zstd${s.version === '2' ? ', PARQUET_VERSION V2' : ''}, ` +
    `KV_METADATA {'krelay.archive': '${s.version}', 'krelay.dataset': '${dataset}'}`
  for (let f = 0; f < s.files + (s.empty ?? 0); f++) {
    const rows = f < s.files ? rowsSql(s, f) : `${rowsSql(s, 0)} AND false`
    const order = f === s.unsortedFile ? 'ORDER BY hash(i)' : sorted
    const first = s.hourNs + BigInt(f)
    const file = join(dir, finalName(fileBaseName(stampNs(first))))
    await conn.run(`COPY (${select} FROM (${rows}) ${order}) TO '${file}' (${opts})`)
  }
  return dir
}
