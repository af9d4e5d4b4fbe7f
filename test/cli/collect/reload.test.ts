// SIGHUP under `krelay collect --config FILE` on the simulator, as an operator meets it:
// the file rewritten between real signals; the level reaches the control file, the spool's
// segments get smaller, a change that needs a restart says so and keeps its value, a file
// that does not load is refused and the collector goes on with what it had.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { RelaySim } from '../../../collector/sim/relay-sim.ts'
import { readArchive } from '../../../offline/read-archive.ts'
import { collectorReading, driveGenerator, serveControl } from '../../collector/collect/sim-driver.ts'
import { run, stop, until, type Proc } from '../live-run.ts'
import { tempDir } from '../../temp-dir.ts'

function config (sim: RelaySim, out: string, over: { host?: string, level?: string, fsync?: string, segment?: string }): string {
  return [
    `channel = ${JSON.stringify(sim.dir)}`,
    `host = ${JSON.stringify(over.host ?? 'sim')}`,
    `level = ${over.level ?? '"notice"'}`,
    '[archive]',
    `out = ${JSON.stringify(out)}`,
    'compact = false',
    '[spool]',
    `fsync = ${over.fsync ?? '"never"'}`,
    `segment_size_mib = ${over.segment ?? '0.25'}`,
    '[live]',
    'enabled = false',
    '',
  ].join('\n')
}

/** The collector's event lines (a new segment, a publish, loss rows) that may come between a reload's. */
const EVENT = /krelay collect: (?:spooling to |published |loss rows archived: )/

/** SIGHUP, then the stderr lines it caused, once `last` matches one. */
async function hup (p: Proc, last: RegExp): Promise<string[]> {
  const from = p.stderr().length
  p.child.kill('SIGHUP')
  await until(() => last.test(p.stderr().slice(from)) || p.child.exitCode !== null, `a line matching ${last}`)
  await sleep(50)
  assert.equal(p.child.exitCode, null, `the collector is still running after SIGHUP:\n${p.stderr()}`)
  return p.stderr().slice(from).split('\n').filter(l => l !== '' && !EVENT.test(l))
}

/** Closed segments (all but the newest) not in `before`, their sizes. */
function closedSegments (spool: string, before: Set<string>): number[] {
  const names = fs.readdirSync(spool).filter(n => n.endsWith('.krcap') && !before.has(n)).sort()
  return names.slice(0, -1).map(n => fs.statSync(path.join(spool, n)).size)
}

test('SIGHUP with the file rewritten: live changes applied and logged, a restart-only change kept, an invalid file refused', async () => {
  const sim = new RelaySim({ cpus: [0, 1], subbufSize: 4096, nSubbufs: 8, flushIntervalMs: 5 })
  const stopServing = serveControl(sim)
  const dir = tempDir('krelay-reload-')
  const out = path.join(dir, 'out')
  const spool = path.join(out, '.spool')
  const file = path.join(dir, 'krelay.toml')
  fs.writeFileSync(file, config(sim, out, {}))
  const p = run(['collect', '--config', file])
  await collectorReading(spool)
  await until(() => sim.minLevel === 5, 'level 5 (notice) written at the attach')

  await driveGenerator(sim, 4000, 16)
  const before = new Set(fs.readdirSync(spool))
  assert.ok(closedSegments(spool, new Set()).every(s => s >= 256 * 1024), 'segments of 256 KiB before the reload')
  fs.writeFileSync(file, config(sim, out, { host: 'elsewhere', level: '"crit"', fsync: '"always"', segment: '0.015625' }))
  const lines = await hup(p, /reload: spool\.segment_size_mib/)
  const tail = (l: string): string => l.replace(/^.*?krelay collect: /, '')
  assert.deepEqual(lines.map(tail), [
    `SIGHUP: reloaded ${file}`,
    `reload: host changed in ${file}, needs a restart (keeps "sim")`,
    'the module\'s level filter is 2 (crit): records above it are filtered (its stats count them)',
    'reload: level 5 (notice) -> 2 (crit)',
    'reload: spool.fsync never -> always',
    'reload: spool.segment_size_mib 0.25 -> 0.015625',
  ])
  await until(() => sim.minLevel === 2, 'level 2 (crit) written at the reload')
  const filteredBefore = sim.cpu(0).filtered
  await driveGenerator(sim, 4000, 16)
  assert.equal(sim.cpu(0).filtered - filteredBefore, 2500, 'levels 3..7 of 4000 records filtered')

  fs.writeFileSync(file, config(sim, out, { segment: '"big"' }))
  const refused = await hup(p, /reload refused/)
  assert.deepEqual(refused.map(tail), [
    `reload refused: ${file}: spool.segment_size_mib: "big" is not allowed: a positive number of MiB, at most 1048576 (going on with the configuration it had)`,
  ])
  await driveGenerator(sim, 2000, 16)
  const sizes = closedSegments(spool, before)
  assert.ok(sizes.length >= 4, `segments rotate at 16 KiB: ${sizes.join(', ')}`)
  for (const s of sizes) assert.ok(s <= 16 * 1024 + 2 * 8 * 4096 + 4096, `segment of ${s} bytes after the reload: ${sizes.join(', ')}`)
  assert.equal(sim.minLevel, 2, 'the refused reload left the level as it was')

  fs.writeFileSync(file, config(sim, out, { level: '"crit"', fsync: '"always"', segment: '0.015625' }))
  assert.deepEqual((await hup(p, /reload: nothing changed/)).map(tail), [`SIGHUP: reloaded ${file}`, 'reload: nothing changed'])
  assert.equal(await stop(p), 0, p.stderr())
  stopServing()
  const a = await readArchive(out)
  assert.deepEqual(a.hosts, ['sim'], 'the host a restart would change was kept')
  // a separate process on 8 sub-buffers of 4 KiB, fsync always: the simulator may drop some, each accounted for
  assert.equal(a.records, sim.cpu(0).written + sim.cpu(1).written)
  assert.equal(a.lostRecords, sim.cpu(0).dropped + sim.cpu(1).dropped)
  assert.equal(a.duplicates, 0)
  sim.destroy()
})

test('SIGHUP without a configuration file: nothing to reload, the collector goes on', async () => {
  const sim = new RelaySim({ cpus: [0], subbufSize: 4096, nSubbufs: 8, flushIntervalMs: 5 })
  const stopServing = serveControl(sim)
  const dir = tempDir('krelay-reload-')
  const out = path.join(dir, 'out')
  const p = run(['collect', '--channel', sim.dir, '--out', out, '--host', 'sim', '--no-live'])
  await collectorReading(path.join(out, '.spool'))
  const lines = await hup(p, /nothing to reload/)
  assert.match(lines.at(-1)!, /SIGHUP: no configuration file \(--config FILE or KRELAY_CONFIG\): nothing to reload$/)
  await driveGenerator(sim, 500, 16)
  assert.equal(await stop(p), 0, p.stderr())
  stopServing()
  assert.equal((await readArchive(out)).records, 500)
  sim.destroy()
})
