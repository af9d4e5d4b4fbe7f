// packaging/install.sh --root DIR, run for real into a temporary root.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { tempDir } from '../temp-dir.ts'

export const INSTALL = fileURLToPath(new URL('../../packaging/install.sh', import.meta.url))
export const REPO = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '')

export interface Installed { status: number | null, stdout: string, stderr: string }

export function runInstall (args: string[]): Installed {
  const r = spawnSync(INSTALL, args, { encoding: 'utf8', timeout: 60_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** A fresh root with the staged install in it; throws with install.sh's output if it failed. */
export function stageInstall (): string {
  const root = tempDir('krelay-root-')
  const r = runInstall(['--root', root])
  if (r.status !== 0) throw new Error(`install.sh --root ${root} exited ${r.status}:\n${r.stdout}${r.stderr}`)
  return root
}
