// What krelay collect prints on stderr when it is not a terminal: every line timestamped
// (ISO 8601 UTC, in order), no escape sequence, one line per event (start, attach, spool
// segment, publish, loss) and a drop hint with the numbers that hold the burst; the summary
// on stdout with its drop line. First the console alone on a stream of its own.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { CollectConsole, timestamped } from '../../../cli/collect/console.ts'
import { HEADROOM } from '../../../cli/collect/drop-hint.ts'
import { RelaySim } from '../../../collector/sim/relay-sim.ts'
import { SUBBUF_HDR_SIZE, recordLength } from '../../../formats/wire.ts'
import { collectorReading, pump, serveControl } from '../../collector/collect/sim-driver.ts'
import { run, stop, until } from '../live-run.ts'
import { tempDir } from '../../temp-dir.ts'
import { snapshot } from './snapshots.ts'

const TIMESTAMPED = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) krelay collect: (.*)$/

function stream (isTTY: boolean): { written: string[], write: (s: string) => boolean, isTTY: boolean, columns: number, rows: number } {
  const written: string[] = []
  return { written, write: s => { written.push(s); return true }, isTTY, columns: 60, rows: 20 }
}

test('not a terminal: each log line with its time, no status line, the summary\'s drop line at the end', () => {
  const s = stream(false)
  let now = Date.parse('2026-11-30T22:41:07.123Z')
  const c = new CollectConsole(s, { channelDir: '/nonexistent', now: () => new Date(now) })
  assert.equal(c.terminal, false)
  c.log('collecting from /sys/kernel/debug/krelay')
  c.status(snapshot(1, [{ cpu: 0, records: 1000 }]))
  now += 1500
  c.status(snapshot(2, [{ cpu: 0, records: 2000, dropped: 7 }]))
  assert.deepEqual(s.written, ['2026-11-30T22:41:07.123Z krelay collect: collecting from /sys/kernel/debug/krelay\n'])
  assert.equal(c.close(), 'krelay collect: 7 records dropped by the kernel (cpu 0: 7)', 'no geometry to advise from')
  assert.equal(s.written.length, 2)
  assert.match(s.written[1]!, /^2026-11-30T22:41:08\.623Z krelay collect: cpu 0: 7 records dropped in the last 1\.0 s \(the module's buffer size is not known: no advice\)\n$/)
  assert.equal(timestamped('x', new Date(0)), '1970-01-01T00:00:00.000Z krelay collect: x\n')
})

test('a terminal: the status line drawn, a log line printed above it and the line drawn again; it stays at the end', () => {
  const s = stream(true)
  const c = new CollectConsole(s, { channelDir: '/nonexistent', env: { TERM: 'xterm' } })
  assert.equal(c.terminal, true)
  c.status(snapshot(1, [{ cpu: 0, records: 1000, records_per_second: 1000 }]))
  assert.match(s.written.join(''), /1\.00k\/s \| drop 0 \| lag 0 ms/, '60 columns: the short words')
  s.written.length = 0
  c.log('published x.parquet')
  const out = s.written.join('')
  const at = out.indexOf('krelay collect: published x.parquet\n')
  assert.ok(at >= 0, JSON.stringify(out))
  assert.ok(out.indexOf('1.00k/s', at) > at, `the status line after the log line: ${JSON.stringify(out)}`)
  s.written.length = 0
  c.status(snapshot(2, [{ cpu: 0, records: 3000, records_per_second: 2000 }]))
  assert.match(s.written.join(''), /2\.00k\/s \| drop 0/)
  assert.equal(c.close(), undefined)
  s.written.length = 0
  c.log('after the end')
  assert.deepEqual(s.written, ['krelay collect: after the end\n'], 'after close: plain lines below the last status line')
})

const PAYLOAD = Buffer.alloc(40, 'x')

test('krelay collect with stderr not a terminal: timestamped event lines in order, no escape, a drop hint with the buffer that holds the burst', async () => {
  const sim = new RelaySim({ cpus: [0, 1], subbufSize: 4096, nSubbufs: 64, flushIntervalMs: 5 })
  const stopServing = serveControl(sim)
  const out = path.join(tempDir('krelay-console-'), 'archive')
  const collector = run(['collect', '--channel', sim.dir, '--out', out, '--host', 'sim', '--fsync', 'never', '--no-live', '--file-age', '1'])
  let flusher: NodeJS.Timeout | undefined
  try {
    await collectorReading(path.join(out, '.spool'))
    for (let s = 0; s < 3; s++) {
      for (let i = 0; i < 500; i++) { sim.advance(100_000); sim.write(i % 2, { payload: PAYLOAD, comm: 'steady', pid: 10 }) }
      sim.timerFlush()
      await sleep(700)
    }
    // far more than cpu 1's buffer holds, with no chance to acknowledge: dropped
    for (let i = 0; i < 12_000; i++) { sim.advance(20_000); sim.write(1, { payload: PAYLOAD, comm: 'burst', pid: 777 }) }
    pump(sim)
    // the module's flush timer: once the collector acknowledged, the next sub-buffer reports the drops
    flusher = setInterval(() => sim.timerFlush(), 20)
    await until(() => /cpu 1: [\d,]+ records dropped/.test(collector.stderr()), 'the drop hint', 30_000)
    await sleep(1500) // a publish of the loss rows (--file-age 1)
  } finally {
    clearInterval(flusher)
    assert.equal(await stop(collector), 0, collector.stderr())
    stopServing()
    sim.destroy()
  }
  const err = collector.stderr()
  assert.ok(!err.includes('\x1b'), 'no escape sequence')
  const lines = err.trimEnd().split('\n')
  let last = 0
  for (const line of lines) {
    const m = TIMESTAMPED.exec(line)
    assert.ok(m !== null, `timestamped: ${JSON.stringify(line)}`)
    const t = Date.parse(m[1]!)
    assert.ok(t >= last, `in order: ${line}`)
    last = t
  }
  const events = lines.map(l => TIMESTAMPED.exec(l)![2]!)
  const has = (re: RegExp): void => assert.ok(events.some(e => re.test(e)), `a line ${re}:\n${err}`)
  has(new RegExp(`^collecting from ${sim.dir} into ${out} `))
  has(/^attached channel [0-9a-f]{16}: cpus 0 1, 64 sub-buffers of 4096 bytes per CPU, flush every 5 ms, level filter \w+$/)
  has(/^spooling to .*\.krcap$/)
  has(/^published .*\/records\/host=sim\/.*\.parquet: \d+ rows?, \d+ bytes$/)
  has(/^published .*\/losses\/host=sim\/.*\.parquet: \d+ loss rows?, \d+ bytes$/)
  has(/^loss rows archived: cpu 1 dropped \d+ records \(\d+ rows?\)$/)
  has(/^SIGTERM: stopping/)

  // the summary: its drop line, and the hint's numbers: the buffer (64 x (4096 - header)) plus what was dropped
  const summary = collector.stdout().trimEnd().split('\n')
  assert.match(summary[0]!, /^krelay collect: \d+ records archived, (\d+) records lost in \d+ loss rows/)
  const lost = Number(/(\d+) records lost/.exec(summary[0]!)![1])
  assert.ok(lost > 5000, `records were dropped: ${summary[0]}`)
  const need = 64 * (4096 - SUBBUF_HDR_SIZE) + lost * recordLength(PAYLOAD.length)
  const hint = events.find(e => e.startsWith('cpu 1: '))!
  const n = Number(/n_subbufs=(\d+) subbuf_size=4096 /.exec(hint)?.[1])
  assert.equal(n, Math.ceil(need * HEADROOM / (4096 - SUBBUF_HDR_SIZE - recordLength(PAYLOAD.length))) + 1, `${hint}\nneeded ${need} bytes`)
  assert.equal(summary[1], `krelay collect: ${lost.toLocaleString('en-US')} records dropped by the kernel (cpu 1: ${lost.toLocaleString('en-US')}); consider ${/modprobe krelay .*$/.exec(hint)![0]}`)
})
