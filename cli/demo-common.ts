// What the demo's host side (cli/demo.ts) and guest side (cli/demo-guest.ts) share.

/**
 * Module parameters for the demo: 32 MiB per CPU in many small sub-buffers. At a paced
 * rate the flush timer closes a sub-buffer every 100 ms whatever its size, so the number
 * of sub-buffers, not their size, is how long the collector may fall behind: 512 x 64 KiB
 * rides out about 50 s at 5000 records/s, and holds about 380,000 records per CPU when
 * the generator runs at full speed. (1 MiB x 32, the same memory, rode out only 3.2 s and
 * dropped records at 5000/s with 4 vCPUs.)
 */
export const DEMO_SUBBUF_SIZE = 65536
export const DEMO_N_SUBBUFS = 512
/**
 * Default generator rate, records per second per CPU. Measured in the TCG guest (2 host
 * cores): the collector takes about 30,000 records/s in all; the paced generator costs a
 * timer wakeup per record, which TCG emulates slowly, so 4 CPUs x 5000/s kept a peak
 * backlog of 15-30 of 512 sub-buffers (1.5-3 s) and 0 drops, while 4 x 20000/s starved
 * the collector.
 */
export const DEMO_DEFAULT_RATE = 5000

/** Under KRELAY_RESULTS: the archive, and the guest's report. */
export const DEMO_ARCHIVE = 'archive'
export const DEMO_REPORT = 'demo.json'

/** The guest prints `krelay-demo: phase <name> <detail>` lines; the host shows them as progress. */
export const PHASE_PREFIX = 'krelay-demo: phase '
export const PHASE_RE = /krelay-demo: phase (\S+) ?([^\r\n]*)/

export interface DemoGuestReport {
  release: string
  cpus: number[]
  records: number
  rate: number
  subbufSize: number
  nSubbufs: number
  /** per CPU, from the module's stats after the run */
  stats: Array<{ cpu: number, written: number, dropped: number }>
  /** most complete sub-buffers waiting for an acknowledgement on any CPU during the generator run */
  peakBacklog: number
  /** collector starts that had to be repeated, and why */
  retries: string[]
  collector: { code: number | null, signal: string | null, summary: string | null }
  /** ms: collector start to reading, generator run, collector stop */
  timings: { startMs: number, genMs: number, stopMs: number, totalMs: number }
  host: string
  error?: string
}
