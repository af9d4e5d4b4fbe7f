// Runs inside the test VM: `krelay tail` with no collector running consumes the real
// module's channel itself (cli/tail/direct.ts: the claim, the mapping, the acks, the same
// reader and merge as the collector), as a user runs it. One consumer per channel
// (PROTOCOL.md §6.1) between real processes: a collector is refused while a direct tail
// holds the channel and a direct tail while a collector does, each naming the holder;
// Ctrl-C and kill -9 of a direct tail both leave the channel free.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { control, info, load, unload, waitGeneratorIdle } from './kmod.ts'
import { freshDir, seconds, stats, startCollector, stopCollector, waitConsumed } from './demo-lib.ts'
import { consumer, refusedCollector, waitConsumer } from './claim-lib.ts'
import { before, DIRECT, isRecord, jsonLines, key, runTail, startTails, type Tail } from './tail-lib.ts'

// 3000 records per CPU at 3000/s: 1 s of generator
const N = 3000
const RATE = 3000
/** where no collector serves: the tail falls back to the channel */
const SOCKET = '/run/krelay/live.sock'
const NOTE = `krelay tail: no collector is running (nothing serves ${SOCKET}): reading the channel directly; these records are not archived\n`

test.afterEach(() => unload())

/** Logs how long each step took: TCG makes every node start cost seconds. */
function stepper (): (what: string) => void {
  let t = Date.now()
  return what => {
    process.stdout.write(`    ${what}: ${seconds(Date.now() - t)}\n`)
    t = Date.now()
  }
}

async function directTail (): Promise<Tail> {
  const [tail] = await startTails([['--json']], 180_000, DIRECT)
  await waitConsumer(tail!.child.pid!, 'krelay-tail')
  return tail!
}

test(`no collector: a tail started before the generator consumes the channel, prints every record once in (ts, cpu, seq) order, refuses a collector by name, and Ctrl-C frees the channel (${N} per CPU)`, async () => {
  const step = stepper()
  load()
  const cpus = info().get('cpus')!.split(' ').map(Number)
  const tail = await directTail()
  step('direct tail start')
  assert.equal(tail.stderr(), NOTE, 'said once that these records are not archived')

  // a collector started while the tail holds the channel, refused while the generator runs
  const out = freshDir('krelay-test-tail-direct-out')
  const refused = refusedCollector(out, `${out}/.spool`)
  assert.equal(control(`gen ${N} ${RATE}`), 'ok')
  const collector = await refused
  step('generator and a refused collector')
  assert.deepEqual(collector.exitStatus, { code: 1, signal: null }, collector.output())
  assert.ok(collector.lines.includes(`krelay collect: krelay tail (pid ${tail.child.pid!}) consumes this channel`), collector.output())
  await waitGeneratorIdle()
  assert.equal(control('flush'), 'ok')
  await waitConsumed() // the tail acknowledged every sub-buffer
  step('generator done, all consumed')
  assert.deepEqual(consumer(), { pid: tail.child.pid, name: 'krelay-tail' }, 'the refused collector left the claim alone')

  tail.child.kill('SIGINT')
  assert.equal(await tail.exited, 0, tail.stderr())
  step('SIGINT to exit')
  assert.equal(tail.stderr(), NOTE, 'nothing more on stderr')
  assert.deepEqual(consumer(), { pid: 0, name: '-' }, 'Ctrl-C released the claim')

  const lines = jsonLines(tail)
  assert.ok(lines.every(isRecord), `no loss, no skip: ${JSON.stringify(lines.find(l => !isRecord(l)))}`)
  assert.equal(new Set(lines.map(key)).size, lines.length, 'each record once')
  for (let i = 1; i < lines.length; i++) assert.ok(before(lines[i - 1]!, lines[i]!), `line ${i + 1} follows line ${i} in (ts, cpu, seq) order`)
  for (const row of stats()) {
    assert.equal(row.dropped, 0, `cpu ${row.cpu}: no kernel drop`)
    const mine = lines.filter(l => l.cpu === row.cpu)
    assert.deepEqual(mine.map(l => l.seq), Array.from({ length: row.written }, (_, i) => i + 1), `cpu ${row.cpu}: every record written, once, in seq order`)
  }
  for (const cpu of cpus) assert.equal(lines.filter(l => l.cpu === cpu && l.type === 'gen').length, N, `cpu ${cpu}: ${N} generator records`)
  const channelId = info().get('channel_id')
  assert.ok(lines.every(l => l.channel_id === channelId), `every line names the channel ${channelId}`)
})

test('kill -9 of a direct tail frees the channel; a collector then claims it and collects; a direct tail is refused naming it', async () => {
  const M = 500
  const step = stepper()
  load()
  const cpus = info().get('cpus')!.split(' ').map(Number)
  const killed = await directTail()
  step('direct tail start')
  killed.child.kill('SIGKILL')
  assert.equal(await killed.exited, 'SIGKILL')
  assert.deepEqual(consumer(), { pid: 0, name: '-' }, 'the kernel released the claim as the killed tail\'s files closed')

  const out = freshDir('krelay-test-tail-direct-out')
  const collector = await startCollector(out, `${out}/.spool`, [], 'collect')
  await waitConsumer(collector.pid, 'krelay-collect')
  step('collector start')
  // with no collector on this socket, the tail tries the channel, which the collector holds
  const refused = runTail(['--json', '--socket', '/run/krelay-test-none/live.sock'])
  assert.equal(control(`gen ${M} 0`), 'ok')
  assert.equal(await refused.exited, 1, refused.stderr())
  assert.equal(refused.stderr(), `krelay tail: krelay collect (pid ${collector.pid}) consumes this channel; watch it with krelay tail\n`)
  assert.equal(refused.stdout(), '')
  step('refused tail')
  await waitGeneratorIdle()
  assert.equal(control('flush'), 'ok')
  await waitConsumed()
  step('all consumed')
  assert.match(await stopCollector(collector), new RegExp(`^krelay collect: ${M * cpus.length} records archived`))
  step('collector stop')
  assert.deepEqual(consumer(), { pid: 0, name: '-' })
  for (const row of stats()) assert.equal(row.dropped, 0, `cpu ${row.cpu}: no kernel drop`)
})
