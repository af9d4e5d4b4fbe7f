// What the demo's host side (cli/demo/demo.ts) and guest side (cli/demo/guest.ts) share.

/**
 * Module parameters for the demo: 32 MiB per CPU, about 380,000 generator records. The
 * flush timer closes part-filled sub-buffers only while the collector keeps up
 * (PROTOCOL.md §4), so a collector that is behind, or dead and restarting, has the whole
 * buffer: 75 s at 5000 records/s per CPU. Many small sub-buffers keep the latency of a
 * collector that keeps up low and each acknowledgement small.
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

/** With --kill-collector: files published and spool segments rotated every few seconds, so that kills may land around them too. */
export const DEMO_KILL_COLLECTOR_ARGS = ['--file-age', '2', '--segment-age', '3', '--segment-size', '1']

/** A SIGKILL of the collector during the demo (--kill-collector), and its restart. */
export interface DemoKill {
  /** ms after the generator started */
  atMs: number
  generatorRunning: boolean
  /** ms from the restart to reading the channel again */
  restartMs: number
}

/** Under KRELAY_RESULTS: the archive, and the guest's report. */
export const DEMO_ARCHIVE = 'archive'
export const DEMO_REPORT = 'demo.json'

/** The guest prints `krelay-demo: phase <name> <detail>` lines; the host shows them as progress. */
export const PHASE_PREFIX = 'krelay-demo: phase '
export const PHASE_RE = /krelay-demo: phase (\S+) ?([^\r\n]*)/

/**
 * On a terminal (`--tail-color`), the guest shows `krelay tail` for the first seconds of
 * the generator run: its lines reach the host prefixed so, and the scheduler source is on
 * meanwhile, so that real exec and fork records scroll by between the generator's.
 */
export const TAIL_PREFIX = 'krelay-demo: tail '
export const TAIL_MS = 6000
/** The collector's live socket in the guest (tmpfs). */
export const DEMO_LIVE_SOCKET = '/tmp/krelay-live.sock'

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
  kills: DemoKill[]
  collector: { code: number | null, signal: string | null, summary: string | null }
  /** ms: collector start to reading, generator run, collector stop */
  timings: { startMs: number, genMs: number, stopMs: number, totalMs: number }
  host: string
  error?: string
}
