// Runs bin/krelay.js as a user would, capturing exit status and output.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const BIN = fileURLToPath(new URL('../../bin/krelay.js', import.meta.url))

export interface Run {
  status: number | null
  stdout: string
  stderr: string
}

export function krelay (args: string[], env: Record<string, string> = {}): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, KRELAY_DEBUG: '', ...env }, timeout: 120_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}
