import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { collect } from '../../../collector/collect/collect.ts'
import { encodeCaptureHeader } from '../../../formats/capture.ts'
import { meta } from './subbufs.ts'
import { RelaySim } from '../../../collector/sim/relay-sim.ts'
import { listSegments } from '../../../collector/spool/spool-reader.ts'
import { readArchive, recordsByCpu } from '../../../offline/read-archive.ts'
import { collectOptions, collectorReading, driveGenerator, serveControl } from './sim-driver.ts'

test('every generated record ends up in the archive exactly once, and the spool empties', async () => {
  // the reader polls every flush interval: 8 sub-buffers of 4 KiB ride out 5 ms of writing
  const sim = new RelaySim({ cpus: [0, 1, 2], subbufSize: 4096, nSubbufs: 8, flushIntervalMs: 5 })
  const stop = new AbortController()
  let ready = 0
  let spoolAtReady: boolean | undefined
  const opts = collectOptions(sim, stop.signal, {
    onReady: () => {
      ready++
      spoolAtReady = fs.existsSync(opts.spoolDir) && fs.readdirSync(opts.spoolDir).some(f => f.endsWith('.krcap'))
    },
  })
  const stopServing = serveControl(sim)
  const running = collect(opts)
  await collectorReading(opts.spoolDir)
  assert.equal(ready, 1, 'onReady is called once the archive worker is ready, before capture reads')
  assert.equal(spoolAtReady, false, 'capture had not opened a spool segment yet')
  await driveGenerator(sim, 5000, 16)
  stop.abort()
  const summary = await running
  stopServing()
  const a = await readArchive(opts.out)
  assert.equal(a.records, 15000)
  assert.equal(a.records - a.duplicates, 15000)
  assert.deepEqual([...recordsByCpu(a)].sort(), [[0, 5000], [1, 5000], [2, 5000]])
  assert.deepEqual(a.losses, [])
  assert.equal(summary.records, 15000)
  assert.ok(a.recordFiles > 1, 'small files rotate')
  assert.deepEqual(listSegments(opts.spoolDir), [], 'every spool segment was deleted once archived')
  for (const cpu of [0, 1, 2]) assert.equal(sim.cpu(cpu).dropped, 0)
  const commands = fs.readFileSync(sim.controlPath, 'latin1').trimEnd().split('\n')
  assert.deepEqual(commands.slice(0, 2), ['claim krelay-collect', 'claim krelay-collect'], 'claimed before the spool is touched, and by the reader before its first ack')
  assert.equal(commands.at(-1), 'release', 'the claim is released after the last ack')
  sim.destroy()
})

test('a spool segment whose header a crash cut short does not stop the next collector: it is removed, saying so; one with a bad header is named and kept', async () => {
  const sim = new RelaySim({ cpus: [0, 1], subbufSize: 4096, nSubbufs: 8, flushIntervalMs: 5 })
  const stop = new AbortController()
  const lines: string[] = []
  const opts = collectOptions(sim, stop.signal, { log: line => { lines.push(line) } })
  fs.mkdirSync(opts.spoolDir, { recursive: true })
  const cut = path.join(opts.spoolDir, '0000000001-0123456789abcdef.krcap')
  fs.writeFileSync(cut, Buffer.alloc(0))
  const bad = path.join(opts.spoolDir, '0000000002-0123456789abcdef.krcap')
  const badBytes = Buffer.concat([encodeCaptureHeader({ ...meta(), host: 'x' }), Buffer.alloc(200, 7)])
  badBytes[20] = badBytes[20]! ^ 1
  fs.writeFileSync(bad, badBytes)
  const stopServing = serveControl(sim)
  const running = collect(opts)
  await collectorReading(opts.spoolDir, ['0000000001-0123456789abcdef.krcap', '0000000002-0123456789abcdef.krcap'])
  await driveGenerator(sim, 2000, 16)
  stop.abort()
  await running
  stopServing()
  assert.equal(fs.existsSync(cut), false)
  assert.ok(lines.some(l => l === `removed ${cut}: a crash cut its header short, so it held no sub-buffer`), lines.join('\n'))
  assert.equal(lines.filter(l => l.includes(bad)).length, 1, lines.join('\n'))
  assert.match(lines.find(l => l.includes(bad))!, /capture header CRC mismatch .*: segment skipped, left in the spool$/)
  assert.ok(fs.readFileSync(bad).equals(badBytes), 'kept as it was')
  const a = await readArchive(opts.out)
  assert.equal(a.records, 4000)
  assert.equal(a.duplicates, 0)
  assert.deepEqual(a.losses, [])
  sim.destroy()
})

// A collector that was not there while 2000 records per CPU went into 2 x 4 KiB: the
// loss rows count exactly the records the buffer dropped, whether a later record
// reveals the drops (in its sub-buffer's header) or none does (the stop's second flush).
for (const recordAfter of [true, false]) {
  test(`a stalled collector, ${recordAfter ? 'a record after the drops' : 'no record after the drops'}: loss rows == drops`, async () => {
    const sim = new RelaySim({ cpus: [0, 1], subbufSize: 4096, nSubbufs: 2 })
    await driveGenerator(sim, 2000)
    const dropped = [0, 1].map(cpu => sim.cpu(cpu).dropped)
    assert.ok(dropped.every(n => n > 0))
    const stop = new AbortController()
    const opts = collectOptions(sim, stop.signal)
    const stopServing = serveControl(sim)
    const running = collect(opts)
    await collectorReading(opts.spoolDir)
    if (recordAfter) {
      await new Promise(resolve => setTimeout(resolve, 200))
      await driveGenerator(sim, 1)
      await new Promise(resolve => setTimeout(resolve, 200))
    }
    stop.abort()
    const summary = await running
    stopServing()
    const a = await readArchive(opts.out)
    assert.equal(a.lostRecords, dropped[0]! + dropped[1]!, 'every drop is a loss row')
    assert.equal(summary.lostRecords, a.lostRecords)
    assert.equal(a.records + a.lostRecords, 2 * (2000 + (recordAfter ? 1 : 0)), 'records + losses account for every seq')
    assert.equal(a.lossOverlaps, 0, 'no loss range covers an archived record')
    assert.equal(a.badLossRanges, 0, 'every loss has a time range')
    sim.destroy()
  })
}

test('the ledger forgets a channel of an earlier module load once no spool segment of it remains', async () => {
  const sim = new RelaySim({ cpus: [0, 1], subbufSize: 4096, nSubbufs: 8, flushIntervalMs: 5 })
  const stop = new AbortController()
  const opts = collectOptions(sim, stop.signal)
  const old = 'aaaaaaaaaaaaaaaa'
  fs.mkdirSync(opts.spoolDir, { recursive: true })
  const state = path.join(opts.spoolDir, 'state.json')
  fs.writeFileSync(state, JSON.stringify({ version: 1, durable: { [`records/${old}`]: { 0: 5 }, [`losses/${old}`]: { 0: 5 } }, pending: null }))
  const stopServing = serveControl(sim)
  const running = collect(opts)
  await collectorReading(opts.spoolDir)
  await driveGenerator(sim, 100)
  stop.abort()
  await running
  stopServing()
  assert.deepEqual(listSegments(opts.spoolDir), [])
  const keys = Object.keys((JSON.parse(fs.readFileSync(state, 'utf8')) as { durable: object }).durable)
  assert.deepEqual(keys, [`records/${sim.channelId}`], 'the old channel is gone, the current one stays')
  sim.destroy()
})

/** Every file and directory under `root` (not root itself), with its permission bits. */
function modes (root: string): Array<[string, number, boolean]> {
  const found: Array<[string, number, boolean]> = []
  for (const name of fs.readdirSync(root, { recursive: true })) {
    const p = path.join(root, String(name))
    // while the collector runs, a file can go between the listing and this (state.json.tmp renamed)
    const st = fs.lstatSync(p, { throwIfNoEntry: false })
    if (st === undefined) continue
    found.push([path.relative(root, p), st.mode & 0o7777, st.isDirectory()])
  }
  return found
}

for (const [umask, fileMode] of [[0, undefined], [0o022, undefined], [0, 0o600]] as const) {
  test(`under umask 0${umask.toString(8)}${fileMode === undefined ? '' : ` with file mode 0${fileMode.toString(8)}`}: every file the collector creates is ${fileMode === undefined ? '0640' : '0600'}, every directory ${fileMode === undefined ? '0750' : '0700'}`, async () => {
    const old = process.umask(umask)
    const sim = new RelaySim({ cpus: [0, 1], subbufSize: 4096, nSubbufs: 8, flushIntervalMs: 5 })
    const stop = new AbortController()
    const opts = collectOptions(sim, stop.signal, { fileMode, archiveGate: undefined })
    try {
      const stopServing = serveControl(sim)
      const running = collect(opts)
      await collectorReading(opts.spoolDir)
      await driveGenerator(sim, 2000, 16)
      const during = modes(opts.out) // the spool segment, state.json and the staging directory are there now
      stop.abort()
      await running
      stopServing()
      const after = modes(opts.out)
      const file = fileMode ?? 0o640
      const dir = file | ((file & 0o444) >> 2)
      for (const [p, mode, isDir] of [...during, ...after]) assert.equal(mode, isDir && !p.includes('stage-') ? dir : (isDir ? 0o700 : file), `${p}: 0${mode.toString(8)}`)
      assert.ok(during.some(([p]) => p.endsWith('.krcap')), 'a spool segment was checked')
      assert.ok(after.some(([p]) => p.endsWith('.parquet')), 'a Parquet file was checked')
      assert.ok(after.some(([p]) => p.endsWith('state.json')), 'state.json was checked')
      assert.ok(after.some(([p, , isDir]) => isDir && /hour=\d\d$/.test(p)), 'a partition directory was checked')
    } finally {
      process.umask(old)
      sim.destroy()
    }
  })
}
