import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { LiveServer, parseHello, type ConsumerList } from '../../../collector/live/server.ts'
import { groupId, LiveSocketError } from '../../../collector/live/socket-file.ts'
import type { Consumer } from '../../../collector/collect/consumer.ts'
import { FRAME_END, FRAME_ERROR, frameText } from '../../../formats/live.ts'
import { helloLine } from '../../../formats/live-hello.ts'
import { FrameStream } from '../../../cli/tail/frames.ts'

function socketPath (t: { after (fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'krelay-live-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  return path.join(dir, 'run', 'live.sock')
}

class Consumers implements ConsumerList {
  readonly list: Consumer[] = []
  addConsumer (c: Consumer): void { this.list.push(c) }
  removeConsumer (c: Consumer): void { this.list.splice(this.list.indexOf(c), 1) }
}

/** Connects, sends `hello`, returns the frames' types and texts until the server closes. */
async function session (p: string, hello: string, onOpen?: () => Promise<void>): Promise<string[]> {
  const s = net.createConnection(p)
  const closed = once(s, 'close')
  await once(s, 'connect')
  s.write(hello)
  const got: string[] = []
  const stream = new FrameStream((view, off, f) => got.push(f.type === FRAME_ERROR || f.type === FRAME_END ? `${f.type}:${frameText(view, off, f.len)}` : String(f.type)))
  s.on('data', (b: Buffer) => stream.push(b))
  await onOpen?.()
  await closed
  return got
}

test('the socket: made root-only, a bad hello gets an error frame, a subscriber joins and gets an end frame', async (t) => {
  const p = socketPath(t)
  const live = await LiveServer.listen({ socketPath: p }, () => {})
  const consumers = new Consumers()
  live.serve(consumers)
  assert.equal(fs.statSync(p).mode & 0o777, 0o600)
  assert.equal(fs.statSync(path.dirname(p)).mode & 0o777, 0o750)
  assert.deepEqual(await session(p, '{"version":2,"filter":{"level":"loud"}}\n'), [`${FRAME_ERROR}:bad hello: filter.level: Invalid option: expected one of "emerg"|"alert"|"crit"|"err"|"warning"|"notice"|"info"|"debug"`])
  assert.deepEqual(await session(p, 'nope\n'), [`${FRAME_ERROR}:the hello is not JSON`])
  const frames = await session(p, helloLine({ cpu: [1] }), async () => {
    while (consumers.list.length === 0) await new Promise(resolve => setTimeout(resolve, 5))
    await live.close('krelay collect was stopped')
  })
  assert.deepEqual(frames, [`${FRAME_END}:krelay collect was stopped`])
  assert.equal(consumers.list.length, 0, 'the subscriber left the list')
  assert.equal(fs.existsSync(p), false, 'the socket file is removed at a clean stop')
})

test('a stale socket is replaced; a live one refuses a second collector', async (t) => {
  const p = socketPath(t)
  // a socket file nobody listens on, as a SIGKILLed collector leaves it (a server closed
  // in this process would unlink it)
  fs.mkdirSync(path.dirname(p), { recursive: true })
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(p)}, () => process.kill(process.pid, 'SIGKILL'))`])
  await once(child, 'exit')
  assert.ok(fs.lstatSync(p).isSocket(), 'left behind')
  const first = await LiveServer.listen({ socketPath: p }, () => {})
  await assert.rejects(LiveServer.listen({ socketPath: p }, () => {}), (err: unknown) => err instanceof LiveSocketError && /another collector serves/.test((err as Error).message))
  await first.close('bye')
  fs.writeFileSync(p, 'not a socket')
  await assert.rejects(LiveServer.listen({ socketPath: p }, () => {}), /exists and is not a socket/)
})

test('--live-group: mode 0660 and that group; an unprivileged user cannot connect without it', { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
  const p = socketPath(t)
  // let uid 65534 reach the socket itself, so that its mode is what refuses
  fs.mkdirSync(path.dirname(p), { recursive: true, mode: 0o755 })
  fs.chmodSync(path.dirname(path.dirname(p)), 0o755)
  const live = await LiveServer.listen({ socketPath: p }, () => {})
  live.serve(new Consumers())
  const tryAs = async (uid: number, gid: number): Promise<string> => {
    const c = spawn(process.execPath, ['-e', `require('net').createConnection(${JSON.stringify(p)}).on('connect', () => { console.log('connected'); process.exit(0) }).on('error', e => { console.log(e.code); process.exit(0) })`], { uid, gid, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    c.stdout.on('data', (b: Buffer) => { out += b.toString() })
    await once(c, 'exit')
    return out.trim()
  }
  assert.equal(await tryAs(65534, 65534), 'EACCES', 'root only')
  await live.close('bye')
  const gid = groupId('nogroup') // 65534 on Debian
  const grouped = await LiveServer.listen({ socketPath: p, gid }, () => {})
  grouped.serve(new Consumers())
  const st = fs.statSync(p)
  assert.equal(st.mode & 0o777, 0o660)
  assert.equal(st.gid, gid)
  assert.equal(await tryAs(65534, gid), 'connected', 'a member of the group')
  assert.equal(await tryAs(65533, 65533), 'EACCES', 'anyone else')
  await grouped.close('bye')
})

test('parseHello: a version mismatch and a bad regular expression are refused with a reason', () => {
  assert.match(parseHello('{"version":1}') as string, /speaks live protocol version 2, the subscriber 1/)
  assert.match(parseHello('{"version":2,"filter":{"grep":"("}}') as string, /^bad hello: filter\.grep: /)
  assert.equal(typeof parseHello('{"version":2,"filter":{"grep":"a+"}}'), 'object')
})

test('setQueueBytes (a reload): a subscriber that connects from then on gets the new queue, one connected keeps its own', async (t) => {
  const p = socketPath(t)
  const live = await LiveServer.listen({ socketPath: p, queueBytes: 4 * 1024 * 1024 }, () => {})
  const consumers = new Consumers()
  live.serve(consumers)
  // the bytes a subscriber may hold (subscriber.ts)
  const chunks = (c: Consumer): unknown => Reflect.get(c, 'queueBytes')
  const joined = async (n: number): Promise<void> => { while (consumers.list.length < n) await new Promise(resolve => setTimeout(resolve, 5)) }
  const first = session(p, helloLine({}), async () => {
    await joined(1)
    live.setQueueBytes(256 * 1024)
    const second = session(p, helloLine({}), async () => {
      await joined(2)
      assert.deepEqual(consumers.list.map(chunks), [4 * 1024 * 1024, 256 * 1024])
      await live.close('done')
    })
    await second
  })
  assert.deepEqual(await first, [`${FRAME_END}:done`])
})
