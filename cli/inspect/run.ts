// krelay inspect: open the archives (offline/archive-db.ts), aggregate (offline/inspect.ts),
// print the report (text.ts) or one JSON document. On a terminal, an archive of many files
// gets a progress bar on stderr while the records are scanned.
import { openArchive, type ArchiveFilter } from '../../offline/archive-db.ts'
import { inspectArchive, type OnProgress } from '../../offline/inspect.ts'
import { CliFailure, EXIT_OK } from '../errors.ts'
import { OutWriter } from '../out-writer.ts'
import { EXIT_INTERRUPTED } from '../query/run.ts'
import { interruptOnSignals } from '../signals.ts'
import { inspectionText } from './text.ts'

/** From this many files on, a terminal shows the scan's progress. */
export const PROGRESS_MIN_FILES = 50

export interface InspectRun {
  dirs: readonly string[]
  filter: ArchiveFilter
  json: boolean
  width: number
}

async function progressBar (files: number): Promise<{ onProgress: OnProgress, done: () => void }> {
  const { createLogUpdate } = await import('log-update')
  const update = createLogUpdate(process.stderr)
  const render = (p: number): void => {
    const filled = Math.round(p / 5)
    update(`krelay inspect: scanning ${files} files [${'#'.repeat(filled)}${'-'.repeat(20 - filled)}] ${Math.floor(p)}%`)
  }
  render(0)
  return { onProgress: render, done: () => update.clear() }
}

export async function runInspect (r: InspectRun, writer = new OutWriter()): Promise<number> {
  let db
  try {
    db = await openArchive(r.dirs, r.filter)
  } catch (e) {
    throw new CliFailure(`reading the archive in ${r.dirs.join(', ')}: ${(e as Error).message}`)
  }
  try {
    // log-update draws nothing on a terminal of 0 rows
    const bar = process.stderr.isTTY === true && process.stderr.rows > 0 && db.files.length >= PROGRESS_MIN_FILES ? await progressBar(db.files.length) : undefined
    let report
    const signals = interruptOnSignals(() => db.conn.interrupt())
    try {
      report = await inspectArchive(db, bar?.onProgress)
      if (signals.interrupted()) throw new CliFailure('interrupted', EXIT_INTERRUPTED)
    } catch (e) {
      if (signals.interrupted()) throw new CliFailure('interrupted', EXIT_INTERRUPTED)
      throw new CliFailure(`reading the archive in ${r.dirs.join(', ')}: ${(e as Error).message.split('\n')[0]!}`)
    } finally {
      signals.dispose()
      bar?.done()
    }
    await writer.write(r.json ? JSON.stringify({ archive: r.dirs, ...report }, null, 2) + '\n' : inspectionText(report, r.dirs, r.width).join('\n') + '\n')
    return EXIT_OK
  } finally {
    db.close()
  }
}
