// Run a host command to completion, capturing its output; throw with context on failure.
import { spawn } from 'node:child_process'

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface ExecOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: Buffer;
  /** Return the result instead of throwing when the exit status is not 0. */
  allowFailure?: boolean;
}

export class ExecError extends Error {
  constructor (
    message: string,
    readonly result: ExecResult
  ) {
    super(message)
    this.name = 'ExecError'
  }
}

export function tail (text: string, lines: number): string {
  const all = text.replace(/\s+$/, '').split('\n')
  return all.slice(Math.max(0, all.length - lines)).join('\n')
}

export function exec (cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: [opts.input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout?.on('data', (b: Buffer) => out.push(b))
    child.stderr?.on('data', (b: Buffer) => err.push(b))
    child.on('error', (e: NodeJS.ErrnoException) => {
      const hint = e.code === 'ENOENT' ? ` (is "${cmd}" installed?)` : ''
      reject(new Error(`cannot run ${cmd}: ${e.message}${hint}`))
    })
    child.on('close', (code, signal) => {
      const result: ExecResult = {
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        code: code ?? 128,
      }
      if (result.code === 0 || opts.allowFailure) return resolve(result)
      const why = signal ? `killed by ${signal}` : `exit status ${result.code}`
      const detail = tail(`${result.stdout}\n${result.stderr}`, 40)
      reject(new ExecError(`${cmd} ${args.join(' ')}: ${why}\n${detail}`, result))
    })
    if (opts.input && child.stdin) child.stdin.end(opts.input)
  })
}
