// Where a writer's staging files live (stager.ts): a private directory under
// tempDirectory, named `stage-<dataset>-<pid>-<random>`, so that the directories of
// writers whose process died can be told apart and removed.

import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeDirSync } from '../file-mode.ts'
import type { WriterOptions } from './types.ts'

export function tempDirectoryOf (opts: Pick<WriterOptions, 'tempDirectory'>): string {
  return opts.tempDirectory ?? join(tmpdir(), 'krelay-duckdb')
}

/** Makes a writer's staging directory under `parent`, first removing those of dead writers. */
export function makeStageDir (parent: string, dataset: string): string {
  makeDirSync(parent)
  removeOrphanStageDirs(parent)
  return mkdtempSync(join(parent, `stage-${dataset}-${process.pid}-`))
}

/**
 * Staging directories (`stage-<dataset>-<pid>-<random>`) of writers whose process is gone
 * (killed, crashed): their rows were never acknowledged as archived, so the spool still
 * has them, and the files only take disk space. Directories of live processes stay.
 */
function removeOrphanStageDirs (parent: string): void {
  for (const name of readdirSync(parent)) {
    const pid = /^stage-[a-z]+-([0-9]+)-/.exec(name)?.[1]
    if (pid !== undefined && !processAlive(Number(pid))) rmSync(join(parent, name), { recursive: true, force: true })
  }
}

/** True while a process `pid` exists (EPERM: it does, owned by another user). */
export function processAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}
