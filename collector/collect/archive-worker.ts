// The archive worker (a node:worker_threads thread started by archiver.ts): everything
// of the collector that may wait on DuckDB or on a subscriber, off the capture thread.
// It serves the live socket, feeds the pipeline (merge → archive, live subscribers)
// from the spool segments capture appends to, in the order capture tells it, keeps the
// ledger, publishes, and deletes archived segments. It may lag behind capture during a
// burst: the facts queue up (a few bytes each) and the records wait in the spool.
import path from 'node:path'
import { parentPort, workerData } from 'node:worker_threads'
import { setTimeout as sleep } from 'node:timers/promises'
import { DiskFullWait } from '../disk-full.ts'
import { setFileMode } from '../file-mode.ts'
import { LiveServer } from '../live/server.ts'
import type { FromWorker, ToWorker, WorkerSetup } from './messages.ts'
import { LossTally, publishLine } from './archive-log.ts'
import { Compactor } from './compactor.ts'
import { Pipeline } from './pipeline.ts'
import { SpoolFollower } from './spool-follower.ts'
import { countResources, type ArchiveReport } from './status-file.ts'
import { ARCHIVE_NICE, lowerThreadPriority } from './thread-priority.ts'

if (parentPort === null) throw new Error('archive-worker.ts runs as a worker thread (archiver.ts starts it)')
const port = parentPort
const setup = workerData as WorkerSetup
const send = (m: FromWorker): void => port.postMessage(m)
const log = (line: string): void => send({ kind: 'log', line })

const losses = new LossTally()
const logLosses = (now: boolean): void => {
  const line = losses.take(now)
  if (line !== undefined) log(line)
}

const queue: ToWorker[] = []
let wake: (() => void) | null = null
let pipeline: Pipeline | undefined
let live: LiveServer | undefined
/** `at` of the reader pass being applied now, undefined between passes (merge_lag_ms) */
let applyingSince: number | undefined
/** aborts when capture says stop: a wait for disk space gives up then (the spool keeps the rows) */
const stopping = new AbortController()
port.on('message', (m: ToWorker) => {
  if (m.kind === 'report') {
    send({ kind: 'report', report: report() })
    return
  }
  if (m.kind === 'settings') {
    applySettings(m)
    return
  }
  queue.push(m)
  if (m.kind === 'stop') stopping.abort()
  wake?.()
})

/** What only the worker knows, for status.json and the metrics (status-file.ts). */
function report (): ArchiveReport {
  // the oldest pass capture told and the merge has not taken yet: the one being applied, else the first queued
  let pendingSince = applyingSince
  for (let i = 0; pendingSince === undefined && i < queue.length; i++) {
    const m = queue[i]!
    if (m.kind === 'spooled') pendingSince = m.at
  }
  return {
    resources: countResources(process.getActiveResourcesInfo()),
    totals: pipeline?.totals ?? null,
    pendingSince: pendingSince ?? null,
    published: pipeline?.publishFigures ?? null,
    liveSubscribers: live?.subscriberCount ?? null,
  }
}

/** The next fact from capture, in order; waits while the test gate is closed. */
async function next (): Promise<ToWorker> {
  for (;;) {
    if (setup.gate !== undefined && Atomics.load(setup.gate, 0) !== 0) {
      await sleep(5)
      continue
    }
    let m = queue.shift()
    if (m?.kind === 'spooled') applyingSince = m.at
    // A lagging worker takes passes together: feeding both passes' bytes, then the later
    // watermarks, releases what both would have (each pass took everything complete when
    // its watermarks were read), in one round.
    while (m?.kind === 'spooled' && queue[0]?.kind === 'spooled') m = queue.shift()
    if (m !== undefined) return m
    await new Promise<void>(resolve => { wake = resolve })
    wake = null
  }
}

/**
 * New archive file limits and live queue size, applied between two rows (this runs
 * between the pipeline's awaits); before the archive is open, kept for its opening.
 */
function applySettings (m: Extract<ToWorker, { kind: 'settings' }>): void {
  setup.maxFileBytes = m.maxFileBytes
  setup.maxAgeSeconds = m.maxAgeSeconds
  if (setup.live !== undefined) setup.live.queueBytes = m.liveQueueBytes
  pipeline?.setFileLimits(m.maxFileBytes, m.maxAgeSeconds)
  live?.setQueueBytes(m.liveQueueBytes)
}

async function run (): Promise<void> {
  let compactor: Compactor | undefined
  let why = 'krelay collect stopped'
  try {
    // first thing: what this thread runs gets the CPU after capture (not DuckDB's COPYs,
    // which run on libuv's pool: thread-priority.ts)
    try {
      lowerThreadPriority(ARCHIVE_NICE)
    } catch (err) {
      log(`the archive worker keeps its priority (${(err as Error).message}): it competes with capture for the CPU`)
    }
    // before the archive is touched: a second collector is refused here (LiveServer.listen)
    live = setup.live === undefined ? undefined : await LiveServer.listen(setup.live, log)
    // DuckDB's staging files and spill go beside the spool, on the collector's own disk (not a tmpfs /tmp)
    const tempDirectory = path.join(setup.spoolDir, 'duckdb')
    setFileMode(setup.fileMode)
    const full = new DiskFullWait(log, 'archiving waits (its rows stay in the spool; capture goes on while the spool has room)',
      `what was not archived stays in the spool ${setup.spoolDir} for the next start`, stopping.signal)
    pipeline = await Pipeline.open({ out: setup.out, host: setup.host, maxFileBytes: setup.maxFileBytes, maxAgeSeconds: setup.maxAgeSeconds, tempDirectory }, setup.spoolDir, full)
    // settings a reload sent while these opened
    pipeline.setFileLimits(setup.maxFileBytes, setup.maxAgeSeconds)
    live?.setQueueBytes(setup.live?.queueBytes)
    live?.serve(pipeline)
    send({ kind: 'ready' })
    const p = pipeline
    p.onPublished = files => {
      for (const f of files) log(publishLine(setup.out, f))
      compactor?.published(files)
    }
    p.onLoss = row => losses.add(row)
    p.onDisorder = (channelId, s) => log(`channel ${channelId}: records released out of order, live subscribers saw them so (the archive sorts each file): ` +
      `${s.late} arrived below a CPU's watermark, after later ones; ${s.forced} released before the watermarks allowed, the merge holding too much (said once per channel)`)
    const follower = new SpoolFollower(pipeline, bytes => send({ kind: 'deleted', bytes }), log)
    const fed = await follower.replay(setup.replay)
    if (follower.replayedSubbufs > 0) log(`replayed ${follower.replayedSubbufs} sub-buffers from ${fed} spool segments (${pipeline.totals.skipped} records already archived)`)
    if (setup.compact) compactor = await Compactor.start({ out: setup.out, host: setup.host, tempDirectory, pendingFile: () => p.state.pendingFile, log })
    for (;;) {
      const m = await next()
      if (m.kind === 'stop') { why = m.why; break }
      await follower.apply(m)
      logLosses(false)
      applyingSince = undefined
      if (m.kind === 'drain') send({ kind: 'drained', id: m.id })
    }
    follower.finish()
    await compactor?.stop()
    await pipeline.close()
    logLosses(true)
    follower.deleteArchived()
    send({ kind: 'done', totals: pipeline.totals, replayedSubbufs: follower.replayedSubbufs, published: pipeline.publishFigures })
  } catch (err) {
    const message = (err as Error).message
    why = `krelay collect failed: ${message}`
    send({ kind: 'failed', message, stack: (err as Error).stack })
    await compactor?.stop().catch(() => undefined)
    // publish what was merged before the failure: it is complete, and replay skips it
    await pipeline?.close().catch(() => undefined)
  } finally {
    await live?.close(why)
    port.close()
  }
}

await run()
