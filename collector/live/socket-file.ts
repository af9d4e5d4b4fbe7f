// The live socket's file: its directory, a stale one left by a dead collector, and who
// may connect (root only, or root and one group).
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'

export const DEFAULT_LIVE_SOCKET = '/run/krelay/live.sock'

/** Another collector serves the socket, or the path cannot be one. */
export class LiveSocketError extends Error {
  override name = 'LiveSocketError'
}

/**
 * Makes the socket's directory (0750) if missing, and removes a socket file nobody
 * listens on (ECONNREFUSED: its collector died). Refuses when one is listening.
 */
export async function prepareSocketPath (socketPath: string): Promise<void> {
  fs.mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o750 })
  let st: fs.Stats
  try {
    st = fs.lstatSync(socketPath)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  if (!st.isSocket()) throw new LiveSocketError(`${socketPath} exists and is not a socket: remove it or pass another --live-socket`)
  const code = await probe(socketPath)
  if (code === 'listening') throw new LiveSocketError(`another collector serves ${socketPath}: stop it first (or give this one --live-socket PATH or --no-live)`)
  fs.rmSync(socketPath, { force: true })
}

/** Connects to see whether someone listens: 'listening', or the error code (ECONNREFUSED: stale). */
function probe (socketPath: string): Promise<string> {
  return new Promise(resolve => {
    const s = net.createConnection(socketPath)
    s.once('connect', () => { s.destroy(); resolve('listening') })
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'))
  })
}

/** The group id of `name` (a name in /etc/group, or a number). */
export function groupId (name: string, groupFile = '/etc/group'): number {
  if (/^\d+$/.test(name)) return Number(name)
  const text = fs.existsSync(groupFile) ? fs.readFileSync(groupFile, 'utf8') : ''
  for (const line of text.split('\n')) {
    const [group, , gid] = line.split(':')
    if (group === name && gid !== undefined && /^\d+$/.test(gid)) return Number(gid)
  }
  throw new LiveSocketError(`--live-group ${name}: no such group in ${groupFile}`)
}

/** Mode 0600 (root only) or 0660 with group `gid`. */
export function restrictSocket (socketPath: string, gid: number | undefined): void {
  if (gid !== undefined) fs.chownSync(socketPath, process.getuid?.() ?? 0, gid)
  fs.chmodSync(socketPath, gid === undefined ? 0o600 : 0o660)
}
