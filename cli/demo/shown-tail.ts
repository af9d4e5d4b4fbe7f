// The guest side of the demo's live view: `krelay tail` on the collector's live socket,
// its lines prefixed (TAIL_PREFIX) by perl onto the guest's stdout, which is the serial
// console the host reads; the host prints them on its terminal. perl, not this process,
// forwards them, so that a console slower than the stream blocks only the tail (whose
// collector then skips records for it, and it says how many), never the demo's own loop.
// Only complete lines are forwarded: a tail stopped while its stdout is full exits with
// the rest of its output unwritten, so its last line may end half-way.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { KRELAY_BIN } from './collector-process.ts'
import { TAIL_PREFIX } from './common.ts'

export interface ShownTail {
  /** SIGINT to the tail (unless it ended already, e.g. with a killed collector); resolves once its last line is out. */
  stop(): Promise<void>
}

function closed (child: ChildProcess): Promise<unknown> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : once(child, 'close')
}

/** Starts the tail and resolves once it follows the channel (its first stderr line). */
export async function startShownTail (socket: string, color: 'always' | 'never', timeoutMs = 180_000): Promise<ShownTail> {
  const forward = spawn('perl', ['-ne', String.raw`BEGIN { $| = 1 } print $ENV{KRELAY_TAIL_PREFIX}, $_ if /\n\z/`],
    { stdio: ['pipe', 'inherit', 'inherit'], env: { ...process.env, KRELAY_TAIL_PREFIX: TAIL_PREFIX } })
  const tail = spawn(process.execPath, [KRELAY_BIN, 'tail', '--socket', socket, '--color', color], { stdio: ['ignore', forward.stdin!, 'pipe'] })
  // the tail holds the pipe now; forward ends when the tail does
  forward.stdin!.destroy()
  let following = false
  let rest = ''
  tail.stderr!.setEncoding('utf8')
  tail.stderr!.on('data', (text: string) => {
    const parts = (rest + text).split('\n')
    rest = parts.pop()!
    for (const line of parts) {
      if (line.includes('following channel')) following = true
      process.stdout.write(`${TAIL_PREFIX}${line}\n`)
    }
  })
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (following) break
    if (tail.exitCode !== null || tail.signalCode !== null) throw new Error(`krelay tail exited before it followed the channel (status ${tail.exitCode ?? tail.signalCode})`)
    if (Date.now() > deadline) {
      tail.kill('SIGKILL')
      throw new Error(`krelay tail did not follow ${socket} within ${timeoutMs / 1000} s`)
    }
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  return {
    stop: async () => {
      if (tail.exitCode === null && tail.signalCode === null) tail.kill('SIGINT')
      const timer = setTimeout(() => { tail.kill('SIGKILL'); forward.kill('SIGKILL') }, 60_000)
      await Promise.all([closed(tail), closed(forward)])
      clearTimeout(timer)
    },
  }
}
