// Runs inside the test VM: `krelay tail --json` on the real module, as a user runs it, through
// a `krelay collect` serving its live socket (the default, /run/krelay/live.sock). One
// collector run feeds every tail: started before the generator (and the scheduler source),
// each prints exactly the archive's rows that its filter names, in the archive's order,
// field for field. The archive is fresh and the module newly loaded, so a tail has no
// history to print first, whatever its default for -n. An unprivileged user can neither
// connect nor touch the channel's debugfs files.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { LEVEL_NAMES } from '../../../formats/wire.ts'
import { CONTROL, DIR, control, info, load, unload, waitGeneratorIdle } from './kmod.ts'
import { freshDir, seconds, startCollector, stats, stopCollector, waitConsumed } from './demo-lib.ts'
import { archivedLines, exitedCleanly, isRecord, jsonLines, key, runTail, startTails, type Line, type Tail } from './tail-lib.ts'

// 5000 records per CPU at 2500/s: 2 s of generator
const N = 5000
const RATE = 2500
const NOBODY = { uid: 65534, gid: 65534 }

interface Filtered { args: string[], want: (l: Line) => boolean }

let cpus: number[] = []
let filters: Filtered[] = []
let all: Line[] = []
let shown: Line[][] = []
let archived: Line[] = []
let nobody: Tail | undefined

const LEVELS: readonly string[] = LEVEL_NAMES
const levelAtMost = (l: Line, name: string): boolean => LEVELS.indexOf(l.level as string) <= LEVELS.indexOf(name)

before(async () => {
  load()
  cpus = info().get('cpus')!.split(' ').map(Number)
  const last = cpus[cpus.length - 1]!
  // few tails: each is a node process, which takes seconds to start in the emulated guest
  filters = [
    { args: ['--cpu', String(last), '--level', 'warning', '--type', 'gen'], want: l => l.cpu === last && levelAtMost(l, 'warning') && l.type === 'gen' },
    { args: ['--type', 'sched_exec,sched_fork'], want: l => l.type === 'sched_exec' || l.type === 'sched_fork' },
  ]
  const out = freshDir('krelay-test-tail-out')
  const spool = freshDir('krelay-test-tail-spool')
  const t0 = Date.now()
  const c = await startCollector(out, spool)
  const t1 = Date.now()
  const tails = await startTails([['--json'], ...filters.map(f => ['--json', ...f.args])])
  nobody = runTail(['--json'], NOBODY)
  const t2 = Date.now()
  assert.equal(control('source sched on'), 'ok')
  assert.equal(control(`gen ${N} ${RATE}`), 'ok')
  // real processes while the generator runs: forks and execs for the scheduler source
  for (let i = 0; i < 3; i++) execFileSync('/bin/true')
  await waitGeneratorIdle()
  assert.equal(control('source sched off'), 'ok')
  assert.equal(control('flush'), 'ok')
  await waitConsumed()
  await nobody.exited // refused while the collector serves
  await stopCollector(c)
  for (const t of tails) await exitedCleanly(t)
  for (const t of tails) assert.match(t.stderr(), /krelay tail: krelay collect was stopped\n$/, 'the collector stopping ends the tail with a message')
  all = jsonLines(tails[0]!)
  shown = tails.slice(1).map(jsonLines)
  archived = await archivedLines(out)
  process.stdout.write(`    tail: ${archived.length} records; collector start ${seconds(t1 - t0)}, ${tails.length} tails start ${seconds(t2 - t1)}, ` +
    `generator to the tails' exit ${seconds(Date.now() - t2)}\n`)
})

after(() => unload())

/** The first index where two lists of lines differ, described; undefined if they are equal. */
function firstDifference (got: Line[], want: Line[]): string | undefined {
  for (let i = 0; i < Math.max(got.length, want.length); i++) {
    try {
      assert.deepEqual(got[i], want[i])
    } catch {
      return `line ${i + 1} of ${got.length} (${want.length} expected): got ${JSON.stringify(got[i])}, expected ${JSON.stringify(want[i])}`
    }
  }
  return undefined
}

test(`a tail started before the generator prints every record once, in (ts, cpu, seq) order, as the archive holds it (${N} per CPU at ${RATE}/s)`, () => {
  for (const row of stats()) {
    assert.equal(row.dropped, 0, `cpu ${row.cpu}: no drop`)
    assert.equal(archived.filter(l => l.cpu === row.cpu).length, row.written, `cpu ${row.cpu}: every record written is archived`)
  }
  for (const cpu of cpus) {
    assert.equal(archived.filter(l => l.cpu === cpu && l.type === 'gen').length, N, `cpu ${cpu}: ${N} generator records archived`)
  }
  assert.ok(archived.some(l => l.type === 'sched_exec'), 'the scheduler source wrote records')
  assert.ok(all.every(isRecord), `no loss, no skip: ${JSON.stringify(all.find(l => !isRecord(l)))}`)
  assert.equal(new Set(all.map(key)).size, all.length, 'each record once')
  assert.equal(firstDifference(all, archived), undefined, 'the tail printed the archive, in its order')
})

test('filters select exactly what they name: --cpu with --level and --type gen, --type with the scheduler\'s types', () => {
  for (let i = 0; i < filters.length; i++) {
    const { args, want } = filters[i]!
    const expected = archived.filter(want)
    assert.ok(expected.length > 0 && expected.length < archived.length, `${args.join(' ')} selects some records, not all`)
    assert.equal(firstDifference(shown[i]!, expected), undefined, args.join(' '))
  }
})

/** What an unprivileged open of each of the channel's files answers, errno code or 'ok'. */
function opensAsNobody (files: Array<[string, 'r' | 'w']>): Record<string, string> {
  const script = `const fs = require('node:fs'); const r = {}
for (const [f, m] of ${JSON.stringify(files)}) { try { fs.closeSync(fs.openSync(f, m)); r[f] = 'ok' } catch (e) { r[f] = e.code } }
try { fs.readdirSync(${JSON.stringify(DIR)}); r.list = 'ok' } catch (e) { r.list = e.code }
process.stdout.write(JSON.stringify(r))`
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', ...NOBODY })
  assert.equal(r.status, 0, r.stderr)
  return JSON.parse(r.stdout) as Record<string, string>
}

test('an unprivileged user (uid 65534) cannot connect to the live socket, nor read, map or write the channel\'s files', async () => {
  assert.equal(await nobody!.exited, 1, nobody!.stderr())
  assert.match(nobody!.stderr(), /^krelay tail: permission denied on \/run\/krelay\/live\.sock: only root or the group the collector names \(--live-group\) may watch\n$/)
  assert.equal(nobody!.stdout(), '')

  // mapping a cpu file needs it open; acknowledging and claiming need control open for writing
  const files: Array<[string, 'r' | 'w']> = [[`${DIR}/info`, 'r'], [`${DIR}/stats`, 'r'], [CONTROL, 'w'], ...cpus.map(c => [`${DIR}/cpu${c}`, 'r'] as [string, 'r'])]
  const denied = Object.fromEntries([...files.map(([f]) => [f, 'EACCES']), ['list', 'EACCES']])
  // as debugfs is mounted (its root is root's alone), and with the root opened to all, so
  // that the module's own file modes are what refuses
  const root = '/sys/kernel/debug'
  const mode = fs.statSync(root).mode & 0o7777
  assert.deepEqual(opensAsNobody(files), denied, `debugfs mounted with mode ${mode.toString(8)}`)
  fs.chmodSync(root, 0o755)
  try {
    assert.deepEqual(opensAsNobody(files), { ...denied, list: 'ok' }, 'debugfs root 0755: the module\'s files refuse by their own modes')
  } finally {
    fs.chmodSync(root, mode)
  }
  for (const [f] of files) assert.equal(fs.statSync(f).mode & 0o077, 0, `${f}: no access for group or others`)
})
