// Capture's handle on the archive worker (archive-worker.ts): starts it, tells it the
// facts of capture in order, and turns what it answers into promises. A failure of the
// worker is kept and rethrown by stop() with the worker's message, so `krelay collect`
// fails as it did when everything ran on one thread.
import v8 from 'node:v8'
import { Worker } from 'node:worker_threads'
import { configureDuckdbAllocator } from '../archive/allocator.ts'
import type { FromWorker, ToWorker, WorkerSetup } from './messages.ts'
import type { PipelineTotals } from './pipeline.ts'
import type { ArchiveReport, PublishFigures } from './status-file.ts'
import { startThreadPool } from './thread-priority.ts'

export interface ArchiverResult {
  totals: PipelineTotals
  replayedSubbufs: number
  published: PublishFigures
}

/**
 * The worker runs TypeScript: a small ES module registers tsx in the worker, then imports
 * the entry. Workers do not inherit loader hooks registered with tsx's register() (as
 * bin/krelay.js does), nor can --import tsx load a .ts entry, so both ways need this.
 * Transpiled to JavaScript (vm/transpile.ts: the VM's tests), this file starts the worker's
 * JavaScript as it is.
 */
function workerUrl (): URL {
  const entry = new URL('./archive-worker.ts', import.meta.url)
  if (entry.pathname.endsWith('.js')) return entry
  const tsx = import.meta.resolve('tsx/esm/api')
  const boot = `import { register } from ${JSON.stringify(tsx)}\nregister()\nawait import(${JSON.stringify(entry.href)})\n`
  return new URL(`data:text/javascript,${encodeURIComponent(boot)}`)
}

/**
 * The worker's young generation, in MiB (by default its new space grew to 16 MiB). Its hot path
 * allocates nothing per record, so a small one costs a few more short scavenges and
 * keeps about 12 MiB out of the collector's RSS (bench/memory.ts).
 */
const WORKER_YOUNG_MB = 4

/**
 * Keeps this thread's new space at the size it has now. Capture allocates little, but
 * with the simulator (the CPU-file watcher, chokidar then, read the directory again at
 * every stats file it replaces) V8 grew it from 8 to 27 MiB over a 100M-record run
 * (bench/memory.ts), and only node's command line could cap it. Set before a worker
 * thread started, the flag did not hold (a test that allocates saw the new space grow to
 * 32 MiB once a worker had started), so this runs once the worker (and its tsx loader
 * thread) are up.
 */
function stopNewSpaceGrowth (): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1')
}

export class Archiver {
  /** bytes of spool segments the worker deleted */
  deletedBytes = 0
  /** called with the worker's answer to a `report` request */
  onReport: ((r: ArchiveReport) => void) | undefined
  private failure: Error | undefined
  private readonly drains = new Map<number, () => void>()
  private nextDrain = 1
  private result: ArchiverResult | undefined
  private readonly exited: Promise<void>
  private readyWait: { resolve: () => void, reject: (err: Error) => void } | undefined

  private constructor (private readonly worker: Worker, private readonly log: (line: string) => void, private readonly onFailure: (err: Error) => void) {
    worker.on('message', (m: FromWorker) => this.receive(m))
    worker.on('error', err => this.fail(err))
    this.exited = new Promise(resolve => worker.once('exit', code => {
      if (this.result === undefined) this.fail(new Error(`the archive worker exited (code ${code}) before it was done`))
      resolve()
    }))
  }

  /** Starts the worker; resolves once it serves the live socket and the archive is open. */
  static async start (setup: WorkerSetup, log: (line: string) => void, onFailure: (err: Error) => void): Promise<Archiver> {
    configureDuckdbAllocator() // before the worker loads DuckDB, from this thread (allocator.ts)
    // the worker lowers its priority (thread-priority.ts): the pool must not inherit it
    await startThreadPool()
    const worker = new Worker(workerUrl(), { workerData: setup, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB } })
    const a = new Archiver(worker, log, onFailure)
    try {
      await new Promise<void>((resolve, reject) => { a.readyWait = { resolve, reject } })
    } catch (err) {
      await a.exited
      throw err
    }
    stopNewSpaceGrowth()
    return a
  }

  /** The failure that ended the worker, if one did. */
  get failed (): Error | undefined {
    return this.failure
  }

  tell (m: ToWorker): void {
    if (this.failure === undefined) this.worker.postMessage(m)
  }

  /** Asks the worker to archive what it can now; resolves once it did, or it failed, or `signal` aborts. */
  async drain (signal: AbortSignal): Promise<void> {
    if (this.failure !== undefined || signal.aborted) return
    const id = this.nextDrain++
    let onAbort: (() => void) | undefined
    await new Promise<void>(resolve => {
      this.drains.set(id, resolve)
      onAbort = resolve
      signal.addEventListener('abort', onAbort, { once: true })
      this.tell({ kind: 'drain', id })
    })
    this.drains.delete(id)
    signal.removeEventListener('abort', onAbort!)
  }

  /** Tells the worker to finish (`why` ends the live streams) and waits for it; throws its failure. */
  async stop (why: string): Promise<ArchiverResult> {
    this.tell({ kind: 'stop', why })
    await this.exited
    if (this.failure !== undefined) throw this.failure
    return this.result!
  }

  private receive (m: FromWorker): void {
    switch (m.kind) {
      case 'ready': this.readyWait?.resolve(); break
      case 'log': this.log(m.line); break
      case 'deleted': this.deletedBytes += m.bytes; break
      case 'drained': this.drains.get(m.id)?.(); break
      case 'done': this.result = { totals: m.totals, replayedSubbufs: m.replayedSubbufs, published: m.published }; break
      case 'report': this.onReport?.(m.report); break
      case 'failed': this.fail(Object.assign(new Error(m.message), m.stack === undefined ? {} : { stack: `${m.stack}\n    (in the archive worker)` })); break
    }
  }

  private fail (err: Error): void {
    if (this.failure !== undefined) return
    this.failure = err
    this.readyWait?.reject(err)
    for (const resolve of this.drains.values()) resolve()
    this.onFailure(err)
  }
}
