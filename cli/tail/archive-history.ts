// The archive's part of the history (cli/tail/history.ts): its published records as wire
// records, and its losses, read with DuckDB as offline/read-archive.ts does (files of format
// version 1 and 2 alike: offline/archive-scan.ts).
import { archiveScan, datasetFiles } from '../../offline/archive-scan.ts'
import { dataView } from '../../formats/bytes.ts'
import { writeRecord } from '../../formats/record.ts'
import { CTX_NAMES, KIND_BINARY, KIND_TEXT, LEVEL_NAMES, recordLength } from '../../formats/wire.ts'
import { bigIntToHalves } from '../../collector/archive/time.ts'
import { codeOf, lossRowOf, typeCode } from './archive-row.ts'
import type { HistoryLoss, HistoryRecord, HistoryWindow } from './history.ts'
import type { ChannelInfo } from './time.ts'

export interface ArchiveHistory { records: HistoryRecord[], losses: HistoryLoss[] }

/**
 * `extra`: how many records beyond the window to read (those the seam may drop as live).
 * Without a content filter the query is cut to the window (plus `extra`); with one, every
 * record in --since (or the whole archive) is read and filtered here.
 */
export async function archiveHistory (out: string, w: HistoryWindow, filtered: boolean, extra: number, cpus?: readonly number[]): Promise<ArchiveHistory> {
  const result: ArchiveHistory = { records: [], losses: [] }
  const recordFiles = datasetFiles(out, 'records')
  const lossFiles = datasetFiles(out, 'losses')
  if (recordFiles.length === 0 && lossFiles.length === 0) return result
  const { DuckDBInstance } = await import('@duckdb/node-api')
  const instance = await DuckDBInstance.create(':memory:')
  const conn = await instance.connect()
  try {
    const rows = async (sql: string): Promise<Record<string, unknown>[]> =>
      (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[]
    const since = w.since === undefined ? '' : `ts_ns >= ${w.since}`
    const channels = new Map<string, ChannelInfo>()
    const channel = (id: string, m2r: bigint): ChannelInfo => {
      let ch = channels.get(id)
      if (ch === undefined) channels.set(id, ch = { channelId: id, monoToRealtimeNs: m2r })
      return ch
    }
    if (recordFiles.length > 0) {
      const where = [since, cpus === undefined ? '' : `cpu IN (${cpus.join(',')})`].filter(s => s !== '')
      const limit = filtered || w.since !== undefined ? '' : `LIMIT ${w.lines + extra}`
      const sql = `SELECT channel_id, cpu, seq::DOUBLE AS seq, mono_ns::VARCHAR AS mono, mono_offset_ns::VARCHAR AS m2r,
          level, type, ctx, pid, comm, msg, data
        FROM ${await archiveScan(conn, recordFiles, 'records')} ${where.length > 0 ? 'WHERE ' + where.join(' AND ') : ''}
        ORDER BY ts_ns DESC, cpu DESC, seq DESC ${limit}`
      for (const r of await rows(sql)) {
        const mono = BigInt(r.mono as string)
        const ch = channel(String(r.channel_id), BigInt(r.m2r as string))
        const text = r.msg !== null && r.msg !== undefined
        const payload = text ? Buffer.from(String(r.msg), 'utf8') : Buffer.from(r.data as Uint8Array)
        const bytes = Buffer.alloc(recordLength(payload.length))
        const { hi, lo } = bigIntToHalves(mono)
        const seq = Number(r.seq)
        const cpu = Number(r.cpu)
        writeRecord(bytes, 0, {
          type: typeCode(String(r.type)),
          kind: text ? KIND_TEXT : KIND_BINARY,
          level: codeOf(LEVEL_NAMES, String(r.level)),
          seq,
          tsHi: hi,
          tsLo: lo,
          pid: Number(r.pid) >>> 0,
          ctx: codeOf(CTX_NAMES, String(r.ctx)),
          comm: String(r.comm),
        }, payload)
        const view = dataView(bytes)
        if (filtered && !w.filter.accepts(view, 0, cpu)) continue
        result.records.push({ channelId: ch.channelId, cpu, seq, mono, ch, view })
      }
    }
    if (lossFiles.length > 0) {
      const sql = `SELECT channel_id, cpu, first_seq::DOUBLE AS first_seq, count::DOUBLE AS count, ts_from_ns::VARCHAR AS t0,
          ts_to_ns::VARCHAR AS t1, reason FROM ${await archiveScan(conn, lossFiles, 'losses')}
        ${w.since === undefined ? '' : `WHERE ts_to_ns >= ${w.since}`}`
      for (const r of await rows(sql)) {
        const id = String(r.channel_id)
        const ch = channels.get(id) ?? channel(id, 0n)
        const t1 = BigInt(r.t1 as string)
        const loss = lossRowOf([BigInt(r.t0 as string), t1, Number(r.cpu), BigInt(r.first_seq as number), BigInt(r.count as number), String(r.reason), id], ch.monoToRealtimeNs)
        result.losses.push({ channelId: id, cpu: loss.cpu, seq: loss.firstSeq, mono: t1 - ch.monoToRealtimeNs, ch, loss })
      }
    }
  } finally {
    conn.closeSync()
    instance.closeSync()
  }
  return result
}
