// A real NOTIFY_SOCKET: a Unix datagram socket bound by python3 (Node has no datagram Unix
// sockets), which prints each message it receives as a JSON line and closes the file
// descriptors that come with it, as systemd does (systemd-notify's BARRIER=1 waits for that).
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { until } from '../live-run.ts'

const script = `
import array, json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps({"listening": True}), flush=True)
while True:
    msg, anc, _, _ = s.recvmsg(65536, socket.CMSG_SPACE(64 * 4))
    fds = array.array("i")
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
    for fd in fds:
        os.close(fd)
    print(json.dumps({"message": msg.decode()}), flush=True)
`

export interface NotifyListener {
  /** every datagram received so far, in order (BARRIER=1 ones left out) */
  messages: string[]
  close (): Promise<void>
}

export async function listenNotify (socketPath: string): Promise<NotifyListener> {
  const child: ChildProcess = spawn('python3', ['-c', script, socketPath], { stdio: ['ignore', 'pipe', 'pipe'] })
  const messages: string[] = []
  let listening = false
  let buffered = ''
  let stderr = ''
  child.stderr!.on('data', (b: Buffer) => { stderr += b.toString() })
  child.stdout!.on('data', (b: Buffer) => {
    buffered += b.toString()
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = JSON.parse(buffered.slice(0, nl)) as { listening?: boolean, message?: string }
      buffered = buffered.slice(nl + 1)
      if (line.listening === true) listening = true
      else if (line.message !== undefined && line.message !== 'BARRIER=1') messages.push(line.message)
    }
  })
  await until(() => listening || child.exitCode !== null, `python3 to bind ${socketPath}`)
  if (!listening) throw new Error(`the python3 notify listener did not start: ${stderr}`)
  return {
    messages,
    async close () {
      if (child.exitCode !== null || child.signalCode !== null) return
      const closed = once(child, 'close')
      child.kill('SIGTERM')
      await closed
    },
  }
}
