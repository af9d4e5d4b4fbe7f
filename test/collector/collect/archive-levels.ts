// The generator's records in an archive, by level, for the level filter's tests. The
// generator writes record `index` at level index % 8 (formats/gen.ts) and the module gives
// a seq only to what it does not filter: walking one CPU's gen records in seq order, the
// levels the walk skips are the records filtered between two archived ones.
import { archiveScan, datasetFiles } from '../../../offline/archive-scan.ts'

export interface LevelWalk {
  cpu: number
  /** archived gen records per level, 0..7 */
  byLevel: number[]
  /** records skipped between seq-adjacent gen records (filtered), per level 0..7 */
  skippedByLevel: number[]
  /** pairs of records not seq-adjacent (a loss between them): nothing is counted across them */
  seqGaps: number
}

const LEVELS = "['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug']"

/** Per CPU of `channelId` (every channel when undefined), sorted by CPU. */
export async function levelWalk (out: string, channelId?: string): Promise<LevelWalk[]> {
  const { DuckDBInstance } = await import('@duckdb/node-api')
  const instance = await DuckDBInstance.create(':memory:')
  const conn = await instance.connect()
  try {
    const R = await archiveScan(conn, datasetFiles(out, 'records'), 'records', { columns: ['cpu', 'seq', 'level', 'type', 'channel_id'] })
    const where = channelId === undefined ? '' : `AND channel_id = '${channelId.replace(/'/g, "''")}'`
    const rows = (await conn.runAndReadAll(`
      SELECT cpu, seq, list_position(${LEVELS}, level) - 1 AS lvl,
             lag(seq) OVER w AS prev_seq, lag(list_position(${LEVELS}, level) - 1) OVER w AS prev_lvl
      FROM ${R} WHERE type = 'gen' ${where}
      WINDOW w AS (PARTITION BY channel_id, cpu ORDER BY seq)`)).getRowObjectsJS() as Array<Record<string, unknown>>
    const walks = new Map<number, LevelWalk>()
    for (const r of rows) {
      const cpu = Number(r.cpu)
      let w = walks.get(cpu)
      if (w === undefined) walks.set(cpu, w = { cpu, byLevel: Array(8).fill(0) as number[], skippedByLevel: Array(8).fill(0) as number[], seqGaps: 0 })
      const lvl = Number(r.lvl)
      w.byLevel[lvl]!++
      if (r.prev_seq === null) continue
      if (Number(r.seq) !== Number(r.prev_seq) + 1) { w.seqGaps++; continue }
      for (let l = (Number(r.prev_lvl) + 1) % 8; l !== lvl; l = (l + 1) % 8) w.skippedByLevel[l]!++
    }
    return [...walks.values()].sort((a, b) => a.cpu - b.cpu)
  } finally {
    conn.closeSync()
    instance.closeSync()
  }
}
