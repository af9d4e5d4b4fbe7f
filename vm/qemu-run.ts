// Run qemu once: stream the serial console to a file, time the guest's marks, enforce a deadline.
import { spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { consoleMarks } from './layout.ts'

export interface QemuOutcome {
  /** qemu's exit status, null if killed by a signal */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** serial console, \r stripped */
  console: string;
  stderr: string;
  /** ms after spawn at which each console mark was first seen */
  marks: Partial<Record<keyof typeof consoleMarks, number>>;
  durationMs: number;
}

export interface QemuRunOptions {
  args: readonly string[];
  consolePath: string;
  timeoutMs: number;
  onConsole?: (text: string) => void;
  qemu?: string;
}

export function runQemu (o: QemuRunOptions): Promise<QemuOutcome> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now()
    const file = createWriteStream(o.consolePath)
    const child = spawn(o.qemu ?? 'qemu-system-x86_64', o.args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let text = ''
    let stderr = ''
    let timedOut = false
    const marks: QemuOutcome['marks'] = {}
    const markEntries = Object.entries(consoleMarks) as [keyof typeof consoleMarks, string][]

    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const clean = chunk.replace(/\r/g, '')
      const from = Math.max(0, text.length - 100)
      text += clean
      file.write(clean)
      for (const [k, m] of markEntries) if (marks[k] === undefined && text.includes(m, from)) marks[k] = Date.now() - t0
      o.onConsole?.(clean)
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const killOnExit = (): void => { child.kill('SIGKILL') }
    process.once('exit', killOnExit)
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, o.timeoutMs)
    child.on('error', (e) => {
      clearTimeout(timer)
      file.end()
      reject(new Error(`cannot start qemu: ${e.message} (install qemu-system-x86)`))
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      process.removeListener('exit', killOnExit)
      file.end(() => resolve({ code, signal, timedOut, console: text, stderr, marks, durationMs: Date.now() - t0 }))
    })
  })
}
