// Runs inside the test VM: one consumer per channel (PROTOCOL.md §6.1) between real
// `krelay collect` and `krelay tail` processes on the real module, as a user runs them.
// With no collector running, `krelay tail` consumes the channel itself (cli/tail/direct.ts:
// the claim, the mapping, the acks, the same reader and merge as the collector). A
// collector is refused while a direct tail holds the channel, and a direct tail or a second
// collector while a collector does, each naming the holder; Ctrl-C of a direct tail, and
// kill -9 of a collector or of a direct tail, leave the channel free. One linear run: each
// node process costs seconds to start under TCG.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { segmentsIn } from '../../../cli/demo/collector-process.ts'
import { control, info, load, unload, waitGeneratorIdle } from './kmod.ts'
import { freshDir, readArchive, seconds, stats, startCollector, stopCollector, waitConsumed } from './demo-lib.ts'
import { consumer, refusedCollector, waitConsumer } from './claim-lib.ts'
import { before, DIRECT, isRecord, jsonLines, key, runTail, startTails, type Tail } from './tail-lib.ts'

// the direct tail's run: 3000 records per CPU at 3000/s, 1 s of generator
const N = 3000
const RATE = 3000
// the third collector's
const M = 1000
/** where no collector serves: the tail falls back to the channel */
const SOCKET = '/run/krelay/live.sock'
const NOTE = `krelay tail: no collector is running (nothing serves ${SOCKET}): reading the channel directly; these records are not archived\n`

test.after(() => unload())

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

/** Checks what a direct tail printed: every record written, once, in (ts, cpu, seq) order, no loss; N generator records per CPU. */
function assertEveryRecordOnce (tail: Tail, cpus: readonly number[]): void {
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
}

test(`no collector: a direct tail started before the generator prints every record once in order (${N} per CPU) and a collector is refused naming it; ` +
  'after its Ctrl-C a collector claims the channel; a direct tail and a second collector are refused naming that; ' +
  'kill -9 of the collector, then of a direct tail, frees the channel; a third collector collects everything', async () => {
  const step = stepper()
  load()
  const cpus = info().get('cpus')!.split(' ').map(Number)

  // 1. a direct tail, and a collector refused while it holds the channel and the generator runs
  const tail = await directTail()
  assert.equal(tail.stderr(), NOTE, 'said once that these records are not archived')
  step('direct tail start')
  const out = freshDir('krelay-test-claim-out')
  const spool = freshDir('krelay-test-claim-spool')
  const refusing = refusedCollector(out, spool, 'refused')
  assert.equal(control(`gen ${N} ${RATE}`), 'ok')
  const refused = await refusing
  assert.deepEqual(refused.exitStatus, { code: 1, signal: null }, refused.output())
  assert.ok(refused.lines.includes(`krelay collect: krelay tail (pid ${tail.child.pid!}) consumes this channel`), refused.output())
  assert.deepEqual(segmentsIn(spool), [], 'refused before it touched its spool')
  step('generator and a refused collector')
  await waitGeneratorIdle()
  assert.equal(control('flush'), 'ok')
  await waitConsumed() // the tail acknowledged every sub-buffer
  assert.deepEqual(consumer(), { pid: tail.child.pid, name: 'krelay-tail' }, 'the refused collector left the claim alone')
  tail.child.kill('SIGINT')
  assert.equal(await tail.exited, 0, tail.stderr())
  assert.equal(tail.stderr(), NOTE, 'nothing more on stderr')
  assert.deepEqual(consumer(), { pid: 0, name: '-' }, 'Ctrl-C released the claim')
  assertEveryRecordOnce(tail, cpus)
  step('generator done, SIGINT to exit')

  // 2. a collector claims it; a direct tail (no collector on its socket) and a second collector are refused naming it
  const first = await startCollector(out, spool, [], 'first')
  await waitConsumer(first.pid, 'krelay-collect')
  step('collector start')
  const refusedTail = runTail(['--json', '--socket', '/run/krelay-test-none/live.sock'])
  const out2 = freshDir('krelay-test-claim-out2')
  const spool2 = `${out2}/.spool`
  const second = await refusedCollector(out2, spool2)
  assert.deepEqual(second.exitStatus, { code: 1, signal: null }, second.output())
  assert.ok(second.lines.includes(`krelay collect: krelay collect (pid ${first.pid}) consumes this channel; watch it with krelay tail`), second.output())
  assert.deepEqual(segmentsIn(spool2), [], 'refused before it touched its spool')
  assert.equal(await refusedTail.exited, 1, refusedTail.stderr())
  assert.equal(refusedTail.stderr(), `krelay tail: krelay collect (pid ${first.pid}) consumes this channel; watch it with krelay tail\n`)
  assert.equal(refusedTail.stdout(), '')
  assert.equal(consumer().pid, first.pid)
  step('a refused tail and a refused collector')

  // 3. kill -9 of the collector, then of a direct tail: the kernel releases the claim as their files close
  first.kill('SIGKILL')
  await first.exited
  assert.deepEqual(consumer(), { pid: 0, name: '-' }, 'free after kill -9 of the collector')
  const killed = await directTail()
  killed.child.kill('SIGKILL')
  assert.equal(await killed.exited, 'SIGKILL')
  assert.deepEqual(consumer(), { pid: 0, name: '-' }, 'free after kill -9 of the direct tail')
  step('direct tail start, kill -9')

  // 4. a third collector collects everything
  const written = new Map(stats().map(r => [r.cpu, r.written]))
  const third = await startCollector(out, spool, [], 'third')
  await waitConsumer(third.pid, 'krelay-collect')
  assert.equal(control(`gen ${M} 0`), 'ok')
  await waitGeneratorIdle()
  assert.equal(control('flush'), 'ok')
  await waitConsumed()
  await stopCollector(third)
  assert.deepEqual(consumer(), { pid: 0, name: '-' }, 'released at a clean stop')
  step('third collector start, collect, stop')
  const archive = await readArchive(out)
  for (const cpu of cpus) {
    const per = archive.perCpu.find(p => p.cpu === cpu)
    const w = written.get(cpu)!
    assert.deepEqual(per && { n: per.records, lo: per.minSeq, hi: per.maxSeq }, { n: M, lo: w + 1, hi: w + M }, `cpu ${cpu}`)
  }
  assert.equal(archive.duplicates, 0)
  assert.equal(archive.lostRecords, 0)
  for (const row of stats()) assert.equal(row.dropped, 0, `cpu ${row.cpu}: no kernel drop`)
})
