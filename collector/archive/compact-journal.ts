// The hidden files of a compaction in an hour directory (compact.ts), and what is left
// of a compaction that was killed:
//
//   .krelay-compact.lock       the pid of the process compacting this directory
//   .compact-<base>.parquet.partial   an output being written (a `.parquet.partial` name:
//                              the collector's start removes it like its own partials)
//   .krelay-compact.journal    inputs and outputs of the swap under way (JSON), written
//                              durably after the outputs are complete and durable
//
// recoverHour() finishes a swap whose journal is there (every output is in place or still
// complete under its partial name: roll forward, the inputs go) or rolls it back (an
// output partial is gone: the outputs that are in place go, the inputs stay), then removes
// compaction partials and the journal. visibleFiles() is what a reader should read in a
// directory while a swap may be under way.
import fs, { promises as fsp } from 'node:fs'
import { join } from 'node:path'
import { fsyncPath, replaceFileSync } from '../durable.ts'
import { createFileSync } from '../file-mode.ts'
import { PARQUET_SUFFIX, PARTIAL_SUFFIX } from './paths.ts'
import { processAlive } from './stage-dir.ts'

export const JOURNAL_NAME = '.krelay-compact.journal'
export const LOCK_NAME = '.krelay-compact.lock'
const PARTIAL_PREFIX = '.compact-'

export interface Journal {
  readonly version: 1
  /** file names (in the directory) that the outputs replace */
  readonly inputs: readonly string[]
  /** file names of the outputs, once in place */
  readonly outputs: readonly string[]
}

/** The hidden name an output `<base>.parquet` is written under. */
export function outputPartialName (output: string): string {
  return PARTIAL_PREFIX + output.slice(0, -PARQUET_SUFFIX.length) + PARTIAL_SUFFIX
}

/** The visible data files of `dir`: `*.parquet` names not starting with a dot, sorted. */
export async function parquetNames (dir: string): Promise<string[]> {
  const names = await fsp.readdir(dir)
  return names.filter(n => !n.startsWith('.') && n.endsWith(PARQUET_SUFFIX)).sort()
}

/** Records the swap about to happen (atomically and durably: write, fsync, rename, fsync the directory). */
export function writeJournal (dir: string, j: Journal): void {
  replaceFileSync(join(dir, JOURNAL_NAME), JSON.stringify(j))
}

/** The journal of `dir`, or null; throws naming the file when it is not a journal. */
export function readJournal (dir: string): Journal | null {
  const file = join(dir, JOURNAL_NAME)
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw e
  }
  let j: Journal
  try {
    j = JSON.parse(text) as Journal
  } catch (e) {
    throw new Error(`${file} is not a krelay compaction journal (${(e as Error).message})`)
  }
  const names = (v: unknown): boolean => Array.isArray(v) && v.every(n => typeof n === 'string' && isPlainName(n))
  if (j.version !== 1 || !names(j.inputs) || !names(j.outputs)) throw new Error(`${file} is not a krelay compaction journal of version 1`)
  return j
}

/** A `*.parquet` name with no directory part (a journal never points outside its directory). */
function isPlainName (n: string): boolean {
  return n.endsWith(PARQUET_SUFFIX) && !n.startsWith('.') && !n.includes('/')
}

/**
 * The files a reader should read in `dir`: the visible `*.parquet` files, without the
 * inputs of a swap whose outputs are all in place, and without the outputs of a swap that
 * is not complete (so that no row is read twice while compaction runs). Listed until two
 * listings around the journal agree.
 */
export async function visibleFiles (dir: string): Promise<string[]> {
  for (let tries = 0; ; tries++) {
    const before = await parquetNames(dir)
    const j = readJournal(dir)
    const after = await parquetNames(dir)
    if (before.join('/') !== after.join('/') && tries < 10) continue
    if (j === null) return after
    const seen = new Set(after)
    const drop = new Set(j.outputs.every(o => seen.has(o)) ? j.inputs : j.outputs)
    return after.filter(n => !drop.has(n))
  }
}

export type Recovery = 'none' | 'finished' | 'rolled back'

/**
 * Finishes or rolls back the swap a journal in `dir` describes, then removes compaction
 * partials and journal leftovers. Run it holding the lock, before compacting. Returns what
 * it did with a journal ('none' when there was none).
 */
export async function recoverHour (dir: string): Promise<Recovery> {
  const j = readJournal(dir)
  let did: Recovery = 'none'
  if (j !== null) {
    const names = new Set(await fsp.readdir(dir))
    const missing = j.outputs.filter(o => !names.has(o))
    if (missing.every(o => names.has(outputPartialName(o)))) {
      // the partials were complete and durable before the journal was written
      for (const o of missing) await fsp.rename(join(dir, outputPartialName(o)), join(dir, o))
      await fsyncPath(dir, true)
      for (const i of j.inputs) if (names.has(i)) await fsp.unlink(join(dir, i))
      did = 'finished'
    } else {
      const gone = j.inputs.filter(i => !names.has(i))
      if (gone.length > 0) {
        throw new Error(`${join(dir, JOURNAL_NAME)}: outputs ${missing.join(', ')} and inputs ${gone.join(', ')} are both gone: ` +
          'rows may be lost; left as it is for an operator')
      }
      for (const o of j.outputs) if (names.has(o)) await fsp.unlink(join(dir, o))
      did = 'rolled back'
    }
    await fsyncPath(dir, true)
    await fsp.unlink(join(dir, JOURNAL_NAME))
  }
  let removed = did !== 'none'
  for (const n of await fsp.readdir(dir)) {
    if ((n.startsWith(PARTIAL_PREFIX) && n.endsWith(PARTIAL_SUFFIX)) || n === `${JOURNAL_NAME}.tmp`) {
      await fsp.unlink(join(dir, n))
      removed = true
    }
  }
  if (removed) await fsyncPath(dir, true)
  return did
}

/**
 * Takes the directory's compaction lock: false when a live process holds it. A lock
 * left by a process that is gone (killed) is taken over. The lock appears with the pid
 * in it (written to `.krelay-compact.lock.<pid>` first, then linked into place), so it
 * is never seen empty.
 */
export function lockHour (dir: string): boolean {
  const file = join(dir, LOCK_NAME)
  for (const n of fs.readdirSync(dir)) {
    const pid = n.startsWith(`${LOCK_NAME}.`) ? Number(n.slice(LOCK_NAME.length + 1)) : NaN
    if (Number.isInteger(pid) && pid !== process.pid && !processAlive(pid)) fs.rmSync(join(dir, n), { force: true })
  }
  const mine = `${file}.${process.pid}`
  fs.rmSync(mine, { force: true })
  const fd = createFileSync(mine)
  try { fs.writeSync(fd, String(process.pid)) } finally { fs.closeSync(fd) }
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.linkSync(mine, file)
        return true
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      }
      const pid = Number(fs.readFileSync(file, 'utf8'))
      if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) return false
      fs.rmSync(file, { force: true })
    }
    return false
  } finally {
    fs.rmSync(mine, { force: true })
  }
}

export function unlockHour (dir: string): void {
  fs.rmSync(join(dir, LOCK_NAME), { force: true })
}
