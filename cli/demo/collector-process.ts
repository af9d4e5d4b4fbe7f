// `krelay collect` as a child process, for the demo's guest side and the VM tests:
// start it, see that it reads, signal it, wait for it, keep its output.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { SEGMENT_SUFFIX } from '../../collector/spool/segment.ts'

/**
 * The `krelay` to run: bin/krelay.js, or KRELAY_BIN (in the VM, the harness sets it to the
 * sources transpiled once on the host: vm/transpile.ts says why).
 */
export const KRELAY_BIN = process.env.KRELAY_BIN ?? fileURLToPath(new URL('../../bin/krelay.js', import.meta.url))

export interface CollectorExit {
  code: number | null
  signal: NodeJS.Signals | null
}

export class CollectorProcess {
  readonly child: ChildProcess
  /** stdout and stderr lines, in arrival order */
  readonly lines: string[] = []
  readonly exited: Promise<CollectorExit>
  private exit: CollectorExit | undefined
  /** spool segments that existed before this collector started */
  private readonly segmentsBefore: Set<string>

  /** `wrapper`: a command that runs node with the rest of its arguments (e.g. setpriv ... --) */
  constructor (readonly args: readonly string[], private readonly echo?: (line: string) => void, wrapper: readonly string[] = []) {
    const spool = args.indexOf('--spool')
    this.segmentsBefore = new Set(spool >= 0 && args[spool + 1] !== undefined ? segmentsIn(args[spool + 1]!) : [])
    const argv = [...wrapper, process.execPath, KRELAY_BIN, 'collect', ...args]
    this.child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] })
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      let rest = ''
      stream.setEncoding('utf8')
      stream.on('data', (text: string) => {
        const parts = (rest + text).split('\n')
        rest = parts.pop()!
        for (const line of parts) this.onLine(line)
      })
      stream.on('end', () => { if (rest !== '') this.onLine(rest) })
    }
    this.exited = new Promise(resolve => {
      this.child.on('close', (code, signal) => {
        this.exit = { code, signal }
        resolve(this.exit)
      })
    })
  }

  private onLine (line: string): void {
    this.lines.push(line)
    this.echo?.(line)
  }

  /** How it exited, once it did. */
  get exitStatus (): CollectorExit | undefined {
    return this.exit
  }

  get running (): boolean {
    return this.exit === undefined
  }

  get pid (): number {
    return this.child.pid!
  }

  /** The summary line `krelay collect` prints at a clean exit. */
  get summary (): string | undefined {
    return this.lines.find(l => l.startsWith('krelay collect:') && l.includes('records archived'))
  }

  output (last = 30): string {
    return this.lines.slice(-last).join('\n')
  }

  /**
   * Resolves once the collector reads the channel: a spool segment that was not there
   * when it started exists (it is opened right before the reader starts; pass --spool in
   * the arguments), or `ready()` says so.
   */
  async waitReading (spoolDir: string, timeoutMs = 120_000, ready?: () => boolean): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (ready ? ready() : segmentsIn(spoolDir).some(s => !this.segmentsBefore.has(s))) return
      if (!this.running) throw new Error(`krelay collect exited (${describeExit(this.exit!)}) before it read the channel:\n${this.output()}`)
      if (Date.now() > deadline) throw new Error(`krelay collect did not start reading within ${timeoutMs / 1000} s:\n${this.output()}`)
      await sleep(50)
    }
  }

  kill (signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal)
  }

  /** Sends `signal` (unless it already exited) and waits for the exit, killing it with SIGKILL after `timeoutMs`. */
  async stop (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 300_000): Promise<CollectorExit> {
    this.kill(signal)
    const timer = setTimeout(() => this.kill('SIGKILL'), timeoutMs)
    try {
      return await this.exited
    } finally {
      clearTimeout(timer)
    }
  }
}

export function segmentsIn (spoolDir: string): string[] {
  try {
    return fs.readdirSync(spoolDir).filter(n => n.endsWith(SEGMENT_SUFFIX)).map(n => path.join(spoolDir, n))
  } catch {
    return []
  }
}

export function describeExit (e: CollectorExit): string {
  return e.signal !== null ? `killed by ${e.signal}` : `exit status ${e.code}`
}

/**
 * Starts `krelay collect` and waits until it reads. One that dies of SIGSEGV before it
 * reads (before it maps anything: only JavaScript and DuckDB's loading ran) is started
 * again, up to `attempts` times: node in the qemu TCG guest sometimes faults in V8's JIT
 * code while starting, which has nothing to do with the collector. Every retry is logged.
 */
export async function startCollectorReading (
  args: readonly string[], spoolDir: string,
  opts: { echo?: (line: string) => void, log: (line: string) => void, attempts?: number, timeoutMs?: number, wrapper?: readonly string[] }
): Promise<CollectorProcess> {
  const attempts = opts.attempts ?? 3
  for (let attempt = 1; ; attempt++) {
    const c = new CollectorProcess(args, opts.echo, opts.wrapper)
    try {
      await c.waitReading(spoolDir, opts.timeoutMs ?? 180_000)
      return c
    } catch (err) {
      if (c.exitStatus?.signal !== 'SIGSEGV' || attempt >= attempts) {
        if (c.running) await c.stop('SIGKILL')
        throw err
      }
      opts.log(`krelay collect died of SIGSEGV while starting (attempt ${attempt} of ${attempts}; node in the TCG guest faults in V8 JIT code now and then): starting it again`)
    }
  }
}
