// Runs inside the test VM: a CPU brought online under a running `krelay collect`. cpu1 is
// offline at insmod, so relay creates only cpu0; its file appears when cpu1 comes online,
// the collector maps it (the directory watch wakes it: the flush interval here is 10 s, so
// a prompt "came online" line cannot come from the periodic pass), and the generator's
// records of both CPUs are archived exactly once, sorted, with nothing lost.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { control, DIR, info, load, unload, waitGeneratorIdle } from './kmod.ts'
import { freshDir, readArchive, recordsByCpu, seconds, setCpuOnline, startCollector, stats, stopCollector, waitConsumed } from './demo-lib.ts'
import type { CollectorProcess } from '../../../cli/demo/collector-process.ts'

const N = 20000
const RATE = 5000
const FLUSH_MS = 10000
const CPU1_ONLINE = '/sys/devices/system/cpu/cpu1/online'

function setCpu1Online (online: boolean): void {
  setCpuOnline(1, online)
}

let collector: CollectorProcess | undefined

// the other guest tests of this boot need both CPUs, whatever happened here
test.afterEach(async () => {
  try {
    setCpu1Online(true)
  } finally {
    if (collector?.running) await collector.stop('SIGKILL')
    unload()
  }
})

test(`cpu1 brought online under krelay collect: its file is mapped at once, ${N} records per CPU archived exactly once`, async () => {
  assert.ok(fs.existsSync(CPU1_ONLINE), 'the guest needs a second CPU that can go offline (KRELAY_VM_CPUS >= 2)')
  const out = freshDir('krelay-test-hotplug-out')
  const spool = freshDir('krelay-test-hotplug-spool')
  const t0 = Date.now()
  setCpu1Online(false)
  load('n_subbufs=64', `flush_ms=${FLUSH_MS}`)
  assert.equal(info().get('cpus'), '0')
  assert.equal(fs.existsSync(`${DIR}/cpu1`), false)
  const c = collector = await startCollector(out, spool, [], 'collect')

  const onlineAt = performance.now()
  setCpu1Online(true)
  // stderr is not a terminal: each log line starts with its time (cli/collect/console.ts)
  const pattern = /^\d{4}-\d\d-\d\dT[\d:.]+Z krelay collect: cpu 1 came online: mapped \/sys\/kernel\/debug\/krelay\/cpu1 from sub-buffer 1$/
  let mappedMs = 0
  for (;;) {
    if (c.lines.some(l => pattern.test(l))) { mappedMs = performance.now() - onlineAt; break }
    assert.ok(c.running, `krelay collect exited:\n${c.output()}`)
    assert.ok(performance.now() - onlineAt < FLUSH_MS / 2, `no "cpu 1 came online" line within ${FLUSH_MS / 2} ms of cpu1 coming online:\n${c.output()}`)
    await sleep(10)
  }
  assert.equal(info().get('cpus'), '0 1')
  assert.deepEqual(stats().map(r => [r.cpu, r.online]), [[0, true], [1, true]])

  assert.equal(control(`gen ${N} ${RATE}`), 'ok')
  await waitGeneratorIdle(300_000)
  assert.equal(control('flush'), 'ok')
  await waitConsumed(120_000)
  const kernel = stats()
  await stopCollector(c)

  const archive = await readArchive(out)
  for (const row of kernel) {
    assert.equal(row.written, N, `cpu ${row.cpu}: written`)
    assert.equal(row.dropped, 0, `cpu ${row.cpu}: dropped`)
  }
  assert.deepEqual([...recordsByCpu(archive)].sort(), [[0, N], [1, N]])
  for (const cpu of [0, 1]) {
    const p = archive.perCpu.find(x => x.cpu === cpu)!
    assert.deepEqual([p.minSeq, p.maxSeq, p.distinctSeqs], [1, N, N], `cpu ${cpu}: seq 1..${N}, each once`)
  }
  assert.equal(archive.duplicates, 0)
  assert.equal(archive.unsortedRows, 0, 'ts non-decreasing within every file')
  assert.equal(archive.unsortedKeyRows, 0, '(ts, cpu, seq) increasing within every file')
  assert.deepEqual(archive.losses, [], 'no loss rows')
  assert.equal(c.lines.filter(l => l.includes('came online')).length, 1)
  assert.match(c.summary ?? '', new RegExp(`^krelay collect: ${2 * N} records archived`))
  process.stdout.write(`    hotplug: cpu1 mapped ${Math.round(mappedMs)} ms after its online write (flush interval ${FLUSH_MS} ms); ` +
    `${archive.records} records in ${archive.recordFiles} files; total ${seconds(Date.now() - t0)}\n`)
})
