// krelay tail against krelay collect on the simulator: real processes, the real socket.
// Assertions read the tail's --json output and the archive, never the line format.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { RelaySim } from '../../collector/sim/relay-sim.ts'
import { readArchive } from '../../offline/read-archive.ts'
import { driveGenerator, serveControl } from '../collector/collect/sim-driver.ts'
import { LiveServer } from '../../collector/live/server.ts'
import { jsonLines, run, startCollector, startTail, stop, until, type Proc } from './live-run.ts'
import { archiveRows, type Row } from './archive-rows.ts'
import { tempDir } from '../temp-dir.ts'

// --follow: the simulator rewrites its info and stats files in place, which a collector in
// another process may read half-rewritten (collector/sim/relay-sim.ts, replace()) and take
// for a module reload; with --follow it goes on, and the archive gets a reload row of
// count 0. So these tests allow reload rows and events, and no other loss.
interface Setup { sim: RelaySim, out: string, socket: string, collector: Proc, stopServing: () => void }

async function setup (simOpts: ConstructorParameters<typeof RelaySim>[0], extra: string[] = []): Promise<Setup> {
  const sim = new RelaySim({ subbufSize: 4096, flushIntervalMs: 5, ...simOpts })
  const dir = tempDir('krelay-tail-')
  const out = path.join(dir, 'archive')
  const socket = path.join(dir, 'run', 'live.sock')
  const stopServing = serveControl(sim)
  const collector = await startCollector(sim, out, socket, ['--follow', ...extra])
  return { sim, out, socket, collector, stopServing }
}

async function teardown (s: Setup): Promise<void> {
  assert.equal(await stop(s.collector), 0, s.collector.stderr())
  s.stopServing()
  s.sim.destroy()
}

const key = (r: { cpu?: unknown, seq?: unknown }): string => `${String(r.cpu)}/${String(r.seq)}`

test('a tail started before the generator prints every record once, in (ts, cpu, seq) order, as the archive holds it', async () => {
  const s = await setup({ cpus: [0, 1, 2], nSubbufs: 64 })
  const tail = await startTail(s.socket, ['--json'])
  await driveGenerator(s.sim, 3000, 16)
  await teardown(s)
  assert.equal(await tail.exited, 0, tail.stderr())
  assert.match(tail.stderr(), /krelay tail: krelay collect was stopped\n$/, 'the collector stopping ends the tail with a message')
  const printed = jsonLines(tail).filter(p => p.event !== 'reload')
  assert.equal(printed.length, 9000)
  assert.ok(printed.every(p => p.event === undefined), 'no loss, no skip')
  for (let i = 1; i < printed.length; i++) {
    const a = printed[i - 1]!
    const b = printed[i]!
    const order = BigInt(a.mono_ns as string) < BigInt(b.mono_ns as string) ||
      (a.mono_ns === b.mono_ns && ((a.cpu as number) < (b.cpu as number) || (a.cpu === b.cpu && (a.seq as number) < (b.seq as number))))
    assert.ok(order, `line ${i + 1} is not after line ${i}`)
  }
  const rows = await archiveRows(s.out)
  assert.equal(rows.length, 9000)
  const byKey = new Map(rows.map(r => [key(r), r]))
  assert.equal(new Set(printed.map(key)).size, 9000, 'each record once')
  for (const p of printed) {
    const r = byKey.get(key(p))
    assert.ok(r, `${key(p)} is archived`)
    assert.deepEqual(pick(p), pick(r as unknown as Record<string, unknown>), key(p))
    assert.equal(utcNs(p.ts as string), BigInt(r.epoch_ns), `ts of ${key(p)}`)
  }
})

function pick (o: Record<string, unknown>): Record<string, unknown> {
  return {
    channel_id: o.channel_id, cpu: o.cpu, seq: o.seq, mono_ns: o.mono_ns, level: o.level, type: o.type, pid: o.pid, comm: o.comm, msg: o.msg, data: o.data,
  }
}

/** RFC 3339 UTC with 9 fractional digits → ns since the epoch. */
function utcNs (ts: string): bigint {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{9})Z$/.exec(ts)
  assert.ok(m, `ts ${ts} is RFC 3339 with 9 fractional digits`)
  return BigInt(Date.parse(`${m[1]}Z`)) * 1000000n + BigInt(m[2]!)
}

test('filters select exactly what they name, each and combined', async () => {
  const s = await setup({ cpus: [0, 1, 2], nSubbufs: 64 })
  const filters: Array<[string[], (r: Row) => boolean]> = [
    [['--cpu', '0,2'], r => r.cpu === 0 || r.cpu === 2],
    [['--level', 'warning'], r => ['emerg', 'alert', 'crit', 'err', 'warning'].includes(r.level)],
    [['--type', 'text'], r => r.type === 'text'],
    [['--type', 'gen,0x0102'], r => r.type === 'gen' || r.type === '0x0102'],
    [['--pid', '7,9-10'], r => [7, 9, 10].includes(r.pid)],
    [['--comm', 'alpha,krelay_gen/1'], r => r.comm === 'alpha' || r.comm === 'krelay_gen/1'],
    [['--grep', 'disk'], r => r.msg !== null && r.msg.includes('disk')],
    [['--grep', '^(disk|net) (err|ok) [0-9]*5$'], r => r.msg !== null && /^(disk|net) (err|ok) [0-9]*5$/.test(r.msg)],
    [['--cpu', '1-2', '--level', 'err', '--comm', 'alpha,beta', '--grep', 'err'], r =>
      (r.cpu === 1 || r.cpu === 2) && ['emerg', 'alert', 'crit', 'err'].includes(r.level) && ['alpha', 'beta'].includes(r.comm) && r.msg !== null && r.msg.includes('err')],
  ]
  const tails: Proc[] = []
  for (const [args] of filters) tails.push(await startTail(s.socket, ['--json', ...args]))
  s.sim.startGen(500)
  const comms = ['alpha', 'beta', 'gamma']
  for (let i = 0; i < 1500; i++) {
    const cpu = i % 3
    s.sim.write(cpu, {
      level: i % 8,
      pid: 5 + (i % 7),
      comm: comms[i % 3],
      type: i % 10 === 9 ? 0x0102 : 0,
      kind: i % 10 === 9 ? 2 : 1,
      payload: Buffer.from(`${i % 2 === 0 ? 'disk' : 'net'} ${i % 5 === 0 ? 'err' : 'ok'} ${i}`),
    })
    if (i % 50 === 0) {
      s.sim.genStep(17)
      s.sim.timerFlush()
      await sleep(1)
    }
  }
  while (s.sim.genStep(64) > 0) {
    s.sim.timerFlush()
    await sleep(1)
  }
  s.sim.flush()
  await sleep(300)
  await teardown(s)
  const rows = await archiveRows(s.out)
  assert.equal(rows.length, 1500 + 3 * 500)
  for (let i = 0; i < filters.length; i++) {
    const [args, want] = filters[i]!
    assert.equal(await tails[i]!.exited, 0, tails[i]!.stderr())
    const got = jsonLines(tails[i]!).map(key)
    const expected = rows.filter(want).map(key)
    assert.ok(expected.length > 0, `${args.join(' ')} selects something`)
    assert.deepEqual(new Set(got), new Set(expected), args.join(' '))
    assert.equal(got.length, expected.length, `${args.join(' ')}: each once`)
  }
})

test('a stalled tail: the archive is complete, no kernel drop, no loss; the tail says how many it skipped', async () => {
  const s = await setup({ cpus: [0, 1], nSubbufs: 512 }, ['--live-queue', '0.0625'])
  const tail = await startTail(s.socket, ['--json'])
  tail.child.kill('SIGSTOP')
  await driveGenerator(s.sim, 20000, 64)
  await sleep(300)
  tail.child.kill('SIGCONT')
  await sleep(300)
  await driveGenerator(s.sim, 100, 16)
  await sleep(300)
  await teardown(s)
  assert.equal(await tail.exited, 0, tail.stderr())
  const a = await readArchive(s.out)
  assert.equal(a.records, 2 * 20100)
  assert.equal(a.duplicates, 0)
  assert.deepEqual(a.losses.filter(l => l.reason !== 'reload' || l.count !== 0), [])
  for (const cpu of [0, 1]) assert.equal(s.sim.cpu(cpu).dropped, 0)
  const printed = jsonLines(tail)
  const records = printed.filter(p => p.event === undefined)
  const skipped = printed.filter(p => p.event === 'skipped').reduce((n, p) => n + (p.count as number), 0)
  assert.ok(skipped > 0, 'some were skipped')
  assert.equal(records.length + skipped, 2 * 20100, 'printed + skipped = all')
  assert.equal(new Set(records.map(key)).size, records.length)
})

test('losses reach the tail inline, with the kernel\'s drop counts', async () => {
  const s = await setup({ cpus: [0, 1], nSubbufs: 2 })
  const tail = await startTail(s.socket, ['--json'])
  s.collector.child.kill('SIGSTOP')
  await driveGenerator(s.sim, 2000)
  const dropped = [0, 1].map(cpu => s.sim.cpu(cpu).dropped)
  assert.ok(dropped.every(n => n > 0))
  s.collector.child.kill('SIGCONT')
  await sleep(300)
  await driveGenerator(s.sim, 1)
  await sleep(300)
  await teardown(s)
  assert.equal(await tail.exited, 0, tail.stderr())
  const printed = jsonLines(tail)
  const losses = printed.filter(p => p.event === 'loss')
  const a = await readArchive(s.out)
  assert.equal(a.lostRecords, dropped[0]! + dropped[1]!)
  for (const cpu of [0, 1]) {
    assert.equal(losses.filter(l => l.cpu === cpu).reduce((n, l) => n + (l.count as number), 0), dropped[cpu], `cpu ${cpu}`)
  }
  // inline: each loss comes before the first record after the gap on its CPU
  for (const l of losses) {
    const at = printed.indexOf(l)
    const after = printed.findIndex(p => p.event === undefined && p.cpu === l.cpu && (p.seq as number) >= (l.first_seq as number) + (l.count as number))
    if (after >= 0) assert.ok(at < after, `the loss on cpu ${String(l.cpu)} is printed before the record after it`)
  }
  assert.equal(printed.filter(p => p.event === undefined).length, a.records)
})

test('krelay tail | head -3 exits 0 quietly; SIGINT exits 0', async () => {
  const s = await setup({ cpus: [0], nSubbufs: 64 })
  const { spawn } = await import('node:child_process')
  const { BIN } = await import('./run.ts')
  const sh = spawn('bash', ['-c', `set -o pipefail; "${process.execPath}" "${BIN}" tail --socket "${s.socket}" | head -3`], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  sh.stdout.on('data', (b: Buffer) => { out += b.toString() })
  sh.stderr.on('data', (b: Buffer) => { err += b.toString() })
  const shExit = new Promise<number | null>(resolve => sh.on('close', resolve))
  const tail = await startTail(s.socket, ['--json'])
  await sleep(500)
  await driveGenerator(s.sim, 2000, 16)
  assert.equal(await shExit, 0, err)
  assert.equal(out.trimEnd().split('\n').length, 3)
  assert.doesNotMatch(err, /Error|\n\s+at /)
  await until(() => jsonLines(tail).length > 0, 'the tail to print')
  tail.child.kill('SIGINT')
  assert.equal(await tail.exited, 0)
  assert.doesNotMatch(tail.stderr(), /Error|\n\s+at /)
  await teardown(s)
})

test('no collector: exit 1 naming the socket; an unprivileged user: exit 1, only root or the group may watch', async () => {
  const dir = tempDir('krelay-tail-')
  const socket = path.join(dir, 'run', 'live.sock')
  const none = run(['tail', '--socket', socket])
  assert.equal(await none.exited, 1)
  assert.match(none.stderr(), new RegExp(`^krelay tail: no collector is running: nothing serves ${socket} .*\\n$`))
  if (process.getuid?.() !== 0) return
  fs.chmodSync(dir, 0o755)
  fs.mkdirSync(path.dirname(socket), { mode: 0o755 })
  const live = await LiveServer.listen({ socketPath: socket }, () => {})
  try {
    const nobody = run(['tail', '--socket', socket], { uid: 65534, gid: 65534 })
    assert.equal(await nobody.exited, 1, nobody.stderr())
    assert.match(nobody.stderr(), /^krelay tail: permission denied on .*live\.sock: only root or the group the collector names \(--live-group\) may watch\n$/)
  } finally {
    await live.close('bye')
  }
})
