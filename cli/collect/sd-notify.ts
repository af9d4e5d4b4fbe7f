// Readiness for systemd (sd_notify(3)) when `krelay collect` runs as a Type=notify service:
// READY=1 once the first channel is attached, STOPPING=1 when a stop begins, STATUS= lines
// for `systemctl status`. Node cannot send a Unix datagram, so each message is sent by
// systemd-notify(1), a child process: the unit says NotifyAccess=all, and systemd-notify
// waits (BARRIER=1) until systemd has read the message, so it is attributed to the unit
// while the child is still in the unit's cgroup. Without NOTIFY_SOCKET nothing is sent.
// A message that cannot be sent costs one log line, never the collector.
import { spawn } from 'node:child_process'

export interface SdNotify {
  /** a channel is attached (capture reads it): READY=1 the first time, a STATUS= line each time */
  attached (channelId: string): void
  /** a stop began: STOPPING=1 */
  stopping (): void
  status (text: string): void
  /** resolves once every message is sent (or failed), or after `ms` */
  flush (ms?: number): Promise<void>
}

/** `command` is systemd-notify (a test may pass another path); `env` is where NOTIFY_SOCKET is read. */
export function sdNotify (log: (line: string) => void, env: NodeJS.ProcessEnv = process.env, command = 'systemd-notify'): SdNotify {
  const socket = env.NOTIFY_SOCKET
  let queue = Promise.resolve()
  let ready = false
  // one child at a time, so that systemd reads the messages in the order they were made
  const send = (args: string[]): void => {
    if (!socket) return
    queue = queue.then(() => notify(command, args, env)).catch((err: unknown) => {
      log(`could not tell systemd ${args.join(' ')} (NOTIFY_SOCKET=${socket}): ${(err as Error).message}`)
    })
  }
  return {
    attached (channelId) {
      const status = `--status=collecting channel ${channelId}`
      send(ready ? [status] : ['--ready', status])
      ready = true
    },
    stopping () {
      send(['STOPPING=1', 'STATUS=stopping: archiving what is left, then publishing'])
    },
    status (text) {
      send([`--status=${text}`])
    },
    async flush (ms = 5000) {
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<void>(resolve => { timer = setTimeout(resolve, ms) })
      await Promise.race([queue, late])
      clearTimeout(timer)
    },
  }
}

function notify (command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString() })
    child.on('error', reject)
    child.on('close', (code, signal) => {
      if (code === 0) resolve()
      else reject(new Error(`${command} exited with ${code ?? signal}${stderr.trim() === '' ? '' : `: ${stderr.trim()}`}`))
    })
  })
}
