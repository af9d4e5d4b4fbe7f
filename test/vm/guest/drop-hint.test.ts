// Runs inside the test VM: the drop hint of `krelay collect` (cli/collect/drop-hint.ts)
// against the real module. A collector stopped (SIGSTOP) through a generator burst in front
// of 2 x 4 KiB drops records; its hint per CPU names the kernel's dropped count, and the
// summary the module parameters for the largest burst. Loaded again with those parameters,
// the same burst through the same stall drops nothing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { CollectorProcess } from '../../../cli/demo/collector-process.ts'
import { control, load, unload, waitGeneratorIdle } from './kmod.ts'
import { freshDir, startCollector, stats, stopCollector, waitConsumed, waitLine } from './demo-lib.ts'

const N = 20000
const RATE = 40000

test.afterEach(() => unload())

/** The collector stopped through a burst of N records per CPU; returns its output lines once it stopped, and the kernel's dropped per CPU. */
async function burst (tag: string): Promise<{ c: CollectorProcess, dropped: Map<number, number> }> {
  const c = await startCollector(freshDir(`krelay-test-${tag}-out`), freshDir(`krelay-test-${tag}-spool`), [], tag)
  c.kill('SIGSTOP')
  assert.equal(control(`gen ${N} ${RATE}`), 'ok')
  await waitGeneratorIdle(120_000)
  c.kill('SIGCONT')
  await waitConsumed()
  const dropped = new Map(stats().map(r => [r.cpu, r.dropped]))
  // the hints come once a CPU's drops stopped (the next status interval without new ones)
  for (const [cpu, n] of dropped) if (n > 0) await waitLine(c, new RegExp(`krelay collect: cpu ${cpu}: [\\d,]+ records dropped`), 30_000)
  await stopCollector(c)
  return { c, dropped }
}

const count = (s: string): number => Number(s.replace(/,/g, ''))

test(`the drop hint after a stall through ${N} records per CPU in front of 2 x 4 KiB: the kernel's count, and parameters that hold the same burst`, async () => {
  load('subbuf_size=4096', 'n_subbufs=2')
  const first = await burst('hint')
  const hints = first.c.lines.filter(l => / krelay collect: cpu \d+: [\d,]+ records dropped/.test(l))
  for (const [cpu, n] of first.dropped) {
    assert.ok(n > 0, `cpu ${cpu}: 2 sub-buffers of 4 KiB cannot hold ${N} records while the collector is stopped`)
    const told = hints.filter(l => l.includes(` cpu ${cpu}: `)).map(l => count(/: ([\d,]+) records dropped/.exec(l)![1]!))
    assert.equal(told.reduce((a, b) => a + b, 0), n, `cpu ${cpu}: the hints say what the kernel dropped:\n${hints.join('\n')}`)
  }
  const total = [...first.dropped.values()].reduce((a, b) => a + b, 0)
  const summary = first.c.lines.find(l => l.startsWith('krelay collect: ') && l.includes('records dropped by the kernel'))
  assert.ok(summary !== undefined, first.c.output())
  const m = /^krelay collect: ([\d,]+) records dropped by the kernel \(.*\); consider modprobe krelay n_subbufs=(\d+) subbuf_size=(\d+) /.exec(summary)
  assert.ok(m !== null, summary)
  assert.equal(count(m[1]!), total)
  const [nSubbufs, subbufSize] = [m[2]!, m[3]!]
  process.stdout.write(`    dropped ${total} behind 2 x 4096; the hint: n_subbufs=${nSubbufs} subbuf_size=${subbufSize}\n`)
  unload()

  load(`subbuf_size=${subbufSize}`, `n_subbufs=${nSubbufs}`)
  const second = await burst('hinted')
  for (const [cpu, n] of second.dropped) assert.equal(n, 0, `cpu ${cpu}: n_subbufs=${nSubbufs} subbuf_size=${subbufSize} holds the same burst`)
  assert.ok(!second.c.lines.some(l => l.includes('records dropped')), second.c.output())
})
