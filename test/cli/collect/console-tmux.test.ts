// krelay collect in a real terminal: a tmux pane of 100 x 20 where stderr is a terminal,
// read back with `tmux capture-pane`. One status line at the bottom, redrawn in place
// (its figures change, no copy of it scrolls up), never wider than the pane; the log
// lines print above it; after Ctrl-C (SIGINT) it stays with the last figures and the
// summary prints below. Skipped when tmux is missing.
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { RelaySim } from '../../../collector/sim/relay-sim.ts'
import { serveControl } from '../../collector/collect/sim-driver.ts'
import { until } from '../live-run.ts'
import { BIN } from '../run.ts'
import { tempDir } from '../../temp-dir.ts'

const hasTmux = spawnSync('tmux', ['-V']).status === 0
/** A private tmux server for this test file, killed in after(). */
const SERVER = `krelay-console-test-${process.pid}`
const WIDTH = 100
const HEIGHT = 20

function tmux (...args: string[]): string {
  return execFileSync('tmux', ['-L', SERVER, ...args], { encoding: 'utf8' })
}

after(() => { if (hasTmux) spawnSync('tmux', ['-L', SERVER, 'kill-server']) })

/** What the pane shows, history included, wrapped lines joined (so that a wrapped status line shows as one too long). */
function capture (): string[] {
  return tmux('capture-pane', '-p', '-J', '-S', '-500', '-t', 'collect').replace(/\n+$/, '').split('\n')
}

const sh = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`
const STATUS = / rec\/s .*\| dropped /
const isStatus = (l: string): boolean => STATUS.test(l) || /^(stopped|waiting for the module) \| dropped /.test(l)

test('krelay collect on a terminal: one status line redrawn in place under the log lines; after Ctrl-C the last figures and the summary', { skip: !hasTmux && 'tmux is not installed' }, async () => {
  const sim = new RelaySim({ cpus: [0, 1], subbufSize: 4096, nSubbufs: 64, flushIntervalMs: 5 })
  const out = path.join(tempDir('krelay-console-tmux-'), 'archive')
  const stopServing = serveControl(sim)
  // records at a rate that changes, so that the figures do
  let tick = 0
  const writer = setInterval(() => {
    tick++
    for (let i = 0; i < 20 + (tick % 50) * 4; i++) { sim.advance(50_000); sim.write(i % 2, { payload: Buffer.from(`record ${tick} ${i}`), comm: 'tmuxtest', pid: 42 }) }
    sim.timerFlush()
  }, 20)
  try {
    const args = ['collect', '--channel', sim.dir, '--out', out, '--host', 'sim', '--fsync', 'never', '--no-live', '--file-age', '1', '--segment-age', '2']
    const cmd = `env TERM=xterm-256color ${sh(process.execPath)} ${sh(BIN)} ${args.map(sh).join(' ')}; echo "exit $?"; sleep 600`
    tmux('new-session', '-d', '-s', 'krelay', '-x', String(WIDTH), '-y', String(HEIGHT), '-n', 'collect', cmd)
    await until(() => capture().some(l => STATUS.test(l) && !l.startsWith('- rec/s')), 'a status line with a rate', 30_000)
    await until(() => capture().some(l => l.startsWith('krelay collect: published ')), 'a publish line', 30_000)

    const seen: string[] = []
    for (let i = 0; i < 4; i++) {
      const lines = capture()
      const at = lines.map((l, n) => isStatus(l) ? n : -1).filter(n => n >= 0)
      assert.equal(at.length, 1, `one status line in the pane and its history:\n${lines.join('\n')}`)
      const status = lines[at[0]!]!
      assert.equal(at[0], lines.length - 1, `the status line is the last one:\n${lines.join('\n')}`)
      assert.ok(status.length <= WIDTH, `it fits ${WIDTH} columns: ${JSON.stringify(status)}`)
      // whole: a line longer than the pane is wrapped by the terminal (-J joins it), not broken by the collector
      assert.ok(lines.slice(0, -1).some(l => /^krelay collect: published \/.*\.parquet: \d+ rows?, \d+ bytes$/.test(l)), `log lines above it:\n${lines.join('\n')}`)
      assert.ok(lines.slice(0, -1).every(l => !l.includes('rec/s')), 'no earlier copy of it')
      seen.push(status)
      await sleep(1300)
    }
    assert.ok(new Set(seen).size >= 3, `its figures change:\n${seen.join('\n')}`)
    for (const s of seen) assert.match(s, /^[\d.]+[kM]? rec\/s \[0:[\d.]+[kM]? 1:[\d.]+[kM]?\] \| dropped 0 \| lag [\d.]+ m?s \| spool [\d.]+ \w+ \| archive .*\d+ files?$/)

    tmux('send-keys', '-t', 'collect', 'C-c')
    await until(() => capture().some(l => l === 'exit 0'), 'the collector to exit 0', 60_000)
    const lines = capture()
    const summary = lines.findIndex(l => /^krelay collect: \d+ records archived, 0 records lost in 0 loss rows, \d+ files in /.test(l))
    const status = lines.findIndex(isStatus)
    const sigint = lines.findIndex(l => l.startsWith('krelay collect: SIGINT: stopping'))
    assert.ok(summary > 0 && status > 0 && sigint > 0, lines.join('\n'))
    assert.equal(lines.filter(isStatus).length, 1, `still one status line:\n${lines.join('\n')}`)
    assert.ok(sigint < status && status < summary, `the SIGINT line, the last status line, then the summary:\n${lines.join('\n')}`)
    assert.match(lines[status]!, /^stopped \| dropped 0 \| lag [\d.]+ m?s \| spool /, 'the final figures')
  } finally {
    clearInterval(writer)
    stopServing()
    sim.destroy()
  }
})
