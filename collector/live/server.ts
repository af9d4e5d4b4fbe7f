// The collector's live stream (formats/LIVE.md): a Unix socket where each connection
// sends a hello (its filter) and becomes a subscriber, a consumer of the merge, until
// it disconnects or the collector stops.
import net from 'node:net'
import fs from 'node:fs'
import path from 'node:path'
import { encodeErrorFrame } from '../../formats/live.ts'
import { LIVE_VERSION, liveHelloSchema, MAX_HELLO_BYTES } from '../../formats/live-hello.ts'
import type { Consumer } from '../collect/consumer.ts'
import { LiveFilter } from './filter.ts'
import { LiveSocketError, prepareSocketPath, restrictSocket } from './socket-file.ts'
import { Subscriber } from './subscriber.ts'

export interface LiveOptions {
  socketPath: string
  /** the group that may connect besides root; none: root only */
  gid?: number
  /** per subscriber, see SubscriberOptions.queueBytes */
  queueBytes?: number
}

/** Where subscribers join and leave: the pipeline. */
export interface ConsumerList {
  addConsumer (c: Consumer): void
  removeConsumer (c: Consumer): void
}

export class LiveServer {
  private readonly subscribers = new Set<Subscriber>()
  private readonly sockets = new Set<net.Socket>()

  private readonly opts: LiveOptions

  private constructor (private readonly server: net.Server, opts: LiveOptions, private readonly log: (line: string) => void) {
    this.opts = { ...opts }
  }

  /**
   * Listens on opts.socketPath (refusing if another collector does); subscribers join
   * `consumers` once set. The socket is bound in a fresh private directory (mode 0700)
   * beside its path, given its final mode there, then linked into place: no connection
   * slips in before the mode is set, and no process.umask() is needed (a worker thread,
   * where the collector serves it, may not set one).
   */
  static async listen (opts: LiveOptions, log: (line: string) => void): Promise<LiveServer> {
    await prepareSocketPath(opts.socketPath)
    const server = net.createServer()
    const live = new LiveServer(server, opts, log)
    const dir = fs.mkdtempSync(path.join(path.dirname(opts.socketPath), '.live-'))
    try {
      const bound = path.join(dir, 's')
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(bound, () => { server.off('error', reject); resolve() })
      })
      restrictSocket(bound, opts.gid)
      try {
        fs.linkSync(bound, opts.socketPath)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new LiveSocketError(`another collector serves ${opts.socketPath}: stop it first (or give this one --live-socket PATH or --no-live)`)
        throw err
      }
    } catch (err) {
      server.close()
      throw err
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
    return live
  }

  /** From now on, connections become subscribers of `consumers`. */
  serve (consumers: ConsumerList): void {
    this.server.on('connection', socket => this.accept(socket, consumers))
    this.server.on('error', err => this.log(`live socket ${this.opts.socketPath}: ${err.message}`))
  }

  /** What each subscriber that connects from now on may hold (SubscriberOptions.queueBytes); those connected keep theirs. */
  setQueueBytes (queueBytes: number | undefined): void {
    this.opts.queueBytes = queueBytes
  }

  get subscriberCount (): number {
    return this.subscribers.size
  }

  /**
   * Ends every subscriber's stream with `why`, stops listening and removes the socket
   * file. A subscriber that has not read its end within `graceMs` (stopped, or stuck) is
   * cut off: it never holds the collector up.
   */
  async close (why: string, graceMs = 1000): Promise<void> {
    this.server.close()
    fs.rmSync(this.opts.socketPath, { force: true })
    for (const sub of this.subscribers) sub.end(why)
    const open = [...this.sockets]
    const closed = Promise.all(open.map(s => s.closed ? undefined : new Promise(resolve => s.once('close', resolve))))
    let timer: NodeJS.Timeout | undefined
    await Promise.race([closed, new Promise(resolve => { timer = setTimeout(resolve, graceMs) })])
    clearTimeout(timer)
    for (const s of open) s.destroy()
  }

  private accept (socket: net.Socket, consumers: ConsumerList): void {
    let hello = Buffer.alloc(0)
    const refuse = (message: string): void => {
      socket.removeAllListeners('data')
      socket.end(encodeErrorFrame(message))
    }
    socket.on('error', () => {}) // a subscriber going away is no failure of the collector
    this.sockets.add(socket)
    socket.once('close', () => this.sockets.delete(socket))
    socket.on('data', (chunk: Buffer) => {
      hello = Buffer.concat([hello, chunk])
      const nl = hello.indexOf(10)
      if (nl < 0) {
        if (hello.length > MAX_HELLO_BYTES) refuse(`the hello is longer than ${MAX_HELLO_BYTES} bytes`)
        return
      }
      socket.removeAllListeners('data')
      socket.resume() // anything after the hello is ignored
      const filter = parseHello(hello.toString('utf8', 0, nl))
      if (typeof filter === 'string') { refuse(filter); return }
      const sub = new Subscriber(socket, filter, {
        queueBytes: this.opts.queueBytes,
        onOverflow: () => socket.destroy(),
      })
      this.subscribers.add(sub)
      consumers.addConsumer(sub)
      socket.once('close', () => {
        this.subscribers.delete(sub)
        consumers.removeConsumer(sub)
      })
    })
  }
}

/** The subscriber's filter, or what is wrong with its hello. */
export function parseHello (line: string): LiveFilter | string {
  let json: unknown
  try {
    json = JSON.parse(line)
  } catch {
    return 'the hello is not JSON'
  }
  const r = liveHelloSchema.safeParse(json)
  if (!r.success) {
    const issue = r.error.issues[0]!
    return `bad hello: ${issue.path.join('.') || 'hello'}: ${issue.message}`
  }
  if (r.data.version !== LIVE_VERSION) return `this collector speaks live protocol version ${LIVE_VERSION}, the subscriber ${r.data.version}`
  try {
    return new LiveFilter(r.data.filter)
  } catch (err) {
    return `bad hello: filter.grep: ${(err as Error).message}`
  }
}
