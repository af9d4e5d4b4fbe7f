// Helpers for guest tests: load and unload the real module, talk to its files.
// Runs inside the test VM only (KRELAY_KO is set by the harness).
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { DEFAULT_CHANNEL_DIR, openChannel, type Channel } from '../../../collector/source/channel.ts'
import { ChannelReader } from '../../../collector/source/reader.ts'
import type { CompleteSubbuf } from '../../../collector/source/reader-options.ts'

export const DIR = DEFAULT_CHANNEL_DIR
export const CONTROL = `${DIR}/control`

export function ko (): string {
  const path = process.env.KRELAY_KO
  assert.ok(path !== undefined && fs.existsSync(path), 'KRELAY_KO must name the built module')
  return path
}

/** insmod with parameters; returns the exit status and stderr instead of throwing. */
export function insmod (...params: string[]): { status: number, stderr: string } {
  const r = spawnSync('insmod', [ko(), ...params], { encoding: 'utf8' })
  return { status: r.status ?? -1, stderr: r.stderr }
}

export function load (...params: string[]): Channel {
  const r = insmod(...params)
  assert.equal(r.status, 0, `insmod ${params.join(' ')} failed: ${r.stderr}`)
  return openChannel(DIR)
}

/**
 * rmmod krelay if it is loaded. The module's own files do not hold it (PROTOCOL.md §1), but
 * rmmod refuses while anything else does: "in use" is retried for up to 5 s, as an operator
 * would run rmmod again.
 */
export function unload (): void {
  if (!fs.readFileSync('/proc/modules', 'utf8').split('\n').some(l => l.startsWith('krelay '))) return
  for (let attempt = 1; ; attempt++) {
    const r = spawnSync('rmmod', ['krelay'], { encoding: 'utf8' })
    if (r.status === 0) return
    // "in use", or EAGAIN when a file was opened between rmmod's check of the refcount and its call
    if (!/in use|temporarily unavailable/i.test(r.stderr) || attempt === 50) throw new Error(`rmmod krelay: ${r.stderr.trim()} (attempt ${attempt})`)
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100)
  }
}

/** Writes one command in one write(); returns the errno code, or 'ok'. */
export function control (command: string | Buffer): string {
  try {
    fs.writeFileSync(CONTROL, command)
    return 'ok'
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err)
  }
}

export function info (): Map<string, string> {
  const keys = new Map<string, string>()
  for (const line of fs.readFileSync(`${DIR}/info`, 'utf8').split('\n')) {
    const at = line.indexOf(' ')
    if (at > 0) keys.set(line.slice(0, at), line.slice(at + 1))
  }
  return keys
}

export function kernelLog (): string {
  return execFileSync('dmesg', { encoding: 'utf8' })
}

export interface FinalCounts {
  cpu: number
  /** the last sequence number given */
  lastSeq: number
  written: number
  dropped: number
  /** drops after the last sub-buffer: no header reported them */
  unreported: number
}

/** What the module logged at its unload for each CPU of channel `channelId` (kmod/channel.c, krelay_log_final). */
export function finalCounts (channelId: string): FinalCounts[] {
  const re = new RegExp(`krelay: channel ${channelId} cpu (\\d+): last seq (\\d+), written (\\d+), dropped (\\d+) \\((\\d+) of them reported by no sub-buffer\\)`, 'g')
  return [...kernelLog().matchAll(re)].map(m => ({
    cpu: Number(m[1]), lastSeq: Number(m[2]), written: Number(m[3]), dropped: Number(m[4]), unreported: Number(m[5]),
  }))
}

export async function waitGeneratorIdle (timeoutMs = 120000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (info().get('generator') !== 'idle') {
    assert.ok(Date.now() < deadline, 'the generator did not finish in time')
    await sleep(50)
  }
}

/** Passes the reader over the channel until nothing complete is left. */
export async function readToEnd (reader: ChannelReader): Promise<void> {
  for (;;) {
    const pass = await reader.pass()
    if (pass.subbufs === 0 && !pass.more) return
  }
}

/** Every complete sub-buffer copied out, for tests that look at them after the ack. */
export function collect (into: CompleteSubbuf[]): (sub: CompleteSubbuf) => void {
  return (sub) => {
    const bytes = Buffer.from(sub.bytes)
    into.push({ ...sub, bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) })
  }
}
