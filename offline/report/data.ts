// What the report shows, as gathered from the archive (gather.ts) and embedded in the page
// as JSON (page.ts): plain numbers and strings; times in ms since the epoch (UTC) except
// the exact range, kept in ns as decimal strings.

/** Counts per bucket of several series: values[i][b] is series names[i] in bucket b. */
export interface SeriesSet {
  names: string[]
  values: number[][]
}

export interface TopItem {
  label: string
  count: number
}

export interface BusySecond {
  /** the second's start, ms since the epoch */
  startMs: number
  records: number
  lost: number
  /** the CPU (series name) with most records in that second, and its records */
  topCpu: string
  topCpuRecords: number
  topComm: string
  topCommRecords: number
}

export interface ReportData {
  /** `krelay report` ARGS, as given */
  dirs: string[]
  filter: { since: string | null, until: string | null, hosts: string[] | null }
  hosts: string[]
  /** first and last time in the archive (records' ts, losses' ts_from), UTC ns */
  firstNs: string
  lastNs: string
  bucket: { startMs: number, widthMs: number, count: number, label: string }
  totals: { records: number, lostRecords: number, lossRows: number, cpus: number, comms: number, pids: number, types: number }
  /** records per bucket per CPU (`cpu N`, or `HOST cpu N` with several hosts); beyond MAX_SERIES the rest in `other` */
  cpus: SeriesSet
  /** lost records per bucket (by ts_from) per reason */
  losses: SeriesSet
  /** loss rows per reason (a reload row counts 0 records) */
  lossRows: Record<string, number>
  levels: SeriesSet
  types: SeriesSet
  topComms: TopItem[]
  topPids: TopItem[]
  busiest: BusySecond[]
}

/** series per time chart at most; the smallest beyond it are summed into `other` */
export const MAX_SERIES = 12
export const TOP_N = 15
export const BUSIEST_N = 10
