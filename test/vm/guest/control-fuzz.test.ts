// Runs inside the test VM (booted with oops=panic): the control file fuzzed with random,
// boundary and mutated writes from several threads at once, while another process takes
// and gives back the claim. Every write must be answered as formats/control.ts (PROTOCOL.md
// §6) says: EINVAL for what it refuses, success or a state-dependent error of its table for
// what it accepts. The kernel must log no warning, and a generator run must arrive complete
// afterwards on the same module instance.
// KRELAY_FUZZ_SEED replays a run; KRELAY_FUZZ_WRITES sets the number of writes (12,000).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { Worker } from 'node:worker_threads'
import { CONTROL_ERRORS, parseControl } from '../../../formats/control.ts'
import { ChannelReader } from '../../../collector/source/reader.ts'
import { GenVerifier } from '../../../collector/source/verify-gen.ts'
import { seeded } from '../../seeded.ts'
import { fuzzWrite } from './control-fuzz-gen.ts'
import { CONTROL, control, info, kernelLog, load, readToEnd, unload, waitGeneratorIdle } from './kmod.ts'

const SEED = Number(process.env.KRELAY_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31))
const WRITES = Number(process.env.KRELAY_FUZZ_WRITES ?? 12_000)
const THREADS = 3
const KERNEL_TROUBLE = /\bWARNING:|\bBUG:|Oops|general protection|Call Trace:|UBSAN|KASAN|kernel BUG/

// Plain JavaScript (no tsx in the workers): open control, one write(), close, per command.
const WRITER = `
const { workerData, parentPort } = require('node:worker_threads')
const fs = require('node:fs')
const answers = []
for (const w of workerData.writes) {
  const fd = fs.openSync(workerData.path, 'w')
  try { fs.writeSync(fd, w); answers.push('ok') } catch (e) { answers.push(e.code ?? String(e)) } finally { fs.closeSync(fd) }
}
parentPort.postMessage(answers)
`

function writeAll (writes: Buffer[]): Promise<string[]> {
  const w = new Worker(WRITER, { eval: true, execArgv: [], workerData: { path: CONTROL, writes } })
  return new Promise((resolve, reject) => {
    w.once('message', resolve)
    w.once('error', reject)
  })
}

test.after(() => unload())

test(`${WRITES} fuzzed control writes from ${THREADS} threads are answered as §6 says; no kernel warning; the channel works after`, async () => {
  const channel = load()
  const before = info()
  const logLines = kernelLog().split('\n').length
  const say = `control fuzz seed ${SEED} (KRELAY_FUZZ_SEED=${SEED} replays it)`
  console.log(say)

  const r = seeded(SEED)
  const batches = Array.from({ length: THREADS }, () => Array.from({ length: Math.ceil(WRITES / THREADS) }, () => fuzzWrite(r)))
  // another process takes the claim and gives it back all along, so that claim, ack and release
  // from this one meet EBUSY too
  const contender = spawn('sh', ['-c', `while true; do echo 'claim contender' > ${CONTROL}; echo 'ack 0 0' > ${CONTROL}; echo release > ${CONTROL}; done 2>/dev/null`])
  const contended = once(contender, 'exit')
  const answers = await Promise.all(batches.map(writeAll))
  contender.kill()
  await contended

  const wrong: string[] = []
  const seen = new Map<string, number>()
  batches.forEach((writes, t) => writes.forEach((w, i) => {
    const got = answers[t]![i]!
    seen.set(got, (seen.get(got) ?? 0) + 1)
    const cmd = parseControl(w)
    const allowed = cmd === undefined ? ['EINVAL'] : ['ok', ...CONTROL_ERRORS[cmd.verb]]
    if (!allowed.includes(got) && wrong.length < 20) {
      wrong.push(`thread ${t} write ${i} ${JSON.stringify(w.toString('latin1'))}: ${got}, expected ${allowed.join(' or ')}`)
    }
  }))
  console.log(`answers: ${[...seen].map(([k, n]) => `${k} ${n}`).join(', ')}`)
  assert.deepEqual(wrong, [], say)
  assert.ok((seen.get('ok') ?? 0) > WRITES / 20 && (seen.get('EINVAL') ?? 0) > WRITES / 2, `${say}: the fuzz reached both accepted and refused writes`)

  // the fuzz may have stopped the channel, started a run, raised the level, held the claim
  assert.equal(control('gen-stop'), 'ok')
  await waitGeneratorIdle()
  for (const c of ['source sched off', 'start', `level ${before.get('min_level')}`, 'release']) assert.equal(control(c), 'ok', c)

  const trouble = kernelLog().split('\n').slice(logLines - 1).filter(l => KERNEL_TROUBLE.test(l))
  assert.deepEqual(trouble, [], `${say}: the kernel logged trouble`)

  // the same module instance still carries a generator run exactly
  const count = 2000
  const run = Number(info().get('generator_run')) + 1
  const verifier = new GenVerifier(run, count, channel.info.cpus)
  const reader = new ChannelReader(channel, { onSubbuf: sub => verifier.addSubbuf(sub) })
  await readToEnd(reader)
  assert.equal(control('flush'), 'ok')
  await readToEnd(reader)
  assert.equal(control(`gen ${count} 0`), 'ok')
  await waitGeneratorIdle()
  assert.equal(control('flush'), 'ok')
  await readToEnd(reader)
  reader.close()
  const report = verifier.report()
  for (const c of report.cpus) {
    assert.equal(c.received, count, `cpu ${c.cpu}: the run after the fuzz arrived complete`)
    assert.equal(c.missingCount + c.duplicates + c.outOfOrder + c.badContent, 0, `cpu ${c.cpu}: ${JSON.stringify(c)}`)
  }
})
