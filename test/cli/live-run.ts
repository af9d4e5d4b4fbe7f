// A collector (krelay collect, serving its live socket) and krelay tail subprocesses on a
// RelaySim, as a user runs them, for the tail tests.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { RelaySim } from '../../collector/sim/relay-sim.ts'
import { collectorReading } from '../collector/collect/sim-driver.ts'
import { BIN } from './run.ts'

export interface Proc {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  /** resolves with the exit code (or signal name) */
  exited: Promise<number | string>
}

export function run (args: string[], opts: { uid?: number, gid?: number, env?: NodeJS.ProcessEnv } = {}): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KRELAY_DEBUG: '' }, ...opts })
  let out = ''
  let err = ''
  child.stdout!.on('data', (b: Buffer) => { out += b.toString() })
  child.stderr!.on('data', (b: Buffer) => { err += b.toString() })
  const exited = once(child, 'close').then(([code, signal]) => (code ?? signal) as number | string)
  return { child, stdout: () => out, stderr: () => err, exited }
}

/** krelay collect on the simulator, serving `socket`; resolves once it reads. */
export async function startCollector (sim: RelaySim, out: string, socket: string, extra: string[] = []): Promise<Proc> {
  const p = run(['collect', '--channel', sim.dir, '--out', out, '--host', 'sim', '--fsync', 'never', '--live-socket', socket, ...extra])
  await collectorReading(path.join(out, '.spool'))
  await until(() => fs.existsSync(socket), `${socket} to appear`)
  return p
}

/** krelay tail with `args`; resolves once it follows the channel (its first stderr line). */
export async function startTail (socket: string, args: string[] = [], opts: { uid?: number, gid?: number } = {}): Promise<Proc> {
  const p = run(['tail', '--socket', socket, ...args], opts)
  await until(() => /following channel/.test(p.stderr()) || p.child.exitCode !== null, 'the tail to follow the channel')
  return p
}

export async function until (cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  for (const t0 = Date.now(); !cond();) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}

/** Stops a collector with SIGTERM; resolves with its exit code. */
export async function stop (p: Proc): Promise<number | string> {
  p.child.kill('SIGTERM')
  return await p.exited
}

/** The JSON lines a tail printed. */
export function jsonLines (p: Proc): Record<string, unknown>[] {
  return p.stdout().split('\n').filter(l => l !== '').map(l => JSON.parse(l) as Record<string, unknown>)
}
