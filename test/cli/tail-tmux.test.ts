// krelay tail in a real terminal: tmux panes, where stdout is a terminal, read back with
// `tmux capture-pane -e` (which keeps the colors as SGR sequences). Levels are colored as
// cli/tail/color.ts says; NO_COLOR and --color never print no escape at all; an ESC in a
// message is shown escaped, never passed to the terminal. Skipped when tmux is missing.
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import path from 'node:path'
import { RelaySim } from '../../collector/sim/relay-sim.ts'
import { serveControl } from '../collector/collect/sim-driver.ts'
import { levelSgr } from '../../cli/tail/color.ts'
import { LEVEL_NAMES } from '../../formats/wire.ts'
import { startCollector, stop, until } from './live-run.ts'
import { BIN } from './run.ts'
import { tempDir } from '../temp-dir.ts'

const hasTmux = spawnSync('tmux', ['-V']).status === 0
/** A private tmux server for this test file, killed in after(). */
const SERVER = `krelay-tail-test-${process.pid}`

function tmux (...args: string[]): string {
  return execFileSync('tmux', ['-L', SERVER, ...args], { encoding: 'utf8' })
}

after(() => { if (hasTmux) spawnSync('tmux', ['-L', SERVER, 'kill-server']) })

/** What the pane shows, history included, with its colors as SGR sequences. */
function capture (pane: string): string {
  return tmux('capture-pane', '-p', '-e', '-J', '-S', '-200', '-t', pane)
}

const sh = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`

/** A window running krelay tail with `args` in `env`; it stays open after the tail exits. */
function openTail (name: string, socket: string, args: string[], env: Record<string, string>): string {
  const vars = Object.entries(env).map(([k, v]) => `${k}=${sh(v)}`).join(' ')
  const cmd = `env -u NO_COLOR -u FORCE_COLOR ${vars} ${sh(process.execPath)} ${sh(BIN)} tail --socket ${sh(socket)} ${args.map(sh).join(' ')}; sleep 600`
  tmux('new-window', '-d', '-t', 'krelay', '-n', name, cmd)
  return `krelay:${name}`
}

// built from text: the regular expressions are about control characters (no-control-regex)
const ESC = '\x1b'
const SGR = String.raw`\x1b\[([0-9;]*)m`
const SGR_RUN_AT_END = new RegExp(`(?:${SGR})+$`)
const stripSgr = (s: string): string => s.replace(new RegExp(SGR, 'g'), '')
/** C0 except tab, or DEL */
const rawControl = (s: string): boolean => [...s].some(c => (c < ' ' && c !== '\t') || c === '\x7f')

/** The SGR parameters in effect right before `word` on `line` (the run of sequences just before it), as a sorted set. */
function sgrBefore (line: string, word: string): string[] {
  const at = line.indexOf(word)
  assert.ok(at >= 0, `${word} in ${JSON.stringify(line)}`)
  const m = SGR_RUN_AT_END.exec(line.slice(0, at))
  const params = m === null ? [] : [...m[0].matchAll(new RegExp(SGR, 'g'))].flatMap(s => s[1]!.split(';'))
  return [...new Set(params.filter(p => p !== ''))].sort()
}

const MESSAGE = (level: string): string => `the ${level} message`
const EVIL = 'evil \x1b[31mred\x1b]0;retitled\x07 end'

test('krelay tail on a terminal: colored by level; NO_COLOR and --color never: no escapes; an ESC in a message is escaped', { skip: !hasTmux && 'tmux is not installed' }, async () => {
  const sim = new RelaySim({ cpus: [0], subbufSize: 4096, nSubbufs: 64, flushIntervalMs: 5 })
  const dir = tempDir('krelay-tail-tmux-')
  const socket = path.join(dir, 'run', 'live.sock')
  const stopServing = serveControl(sim)
  const collector = await startCollector(sim, path.join(dir, 'archive'), socket, ['--follow'])
  try {
    tmux('new-session', '-d', '-s', 'krelay', '-x', '200', '-y', '50', '-n', 'idle', 'sleep 600')
    const env = { TERM: 'xterm-256color' }
    const panes = {
      auto: openTail('auto', socket, [], env),
      noColor: openTail('nocolor', socket, [], { ...env, NO_COLOR: '1' }),
      never: openTail('never', socket, ['--color', 'never'], env),
    }
    for (const pane of Object.values(panes)) await until(() => capture(pane).includes('following channel'), `${pane} to follow the channel`)

    for (let level = 0; level < LEVEL_NAMES.length; level++) {
      sim.write(0, { level, pid: 100 + level, comm: 'tmuxtest', payload: Buffer.from(MESSAGE(LEVEL_NAMES[level]!)) })
    }
    sim.write(0, { level: 3, pid: 99, comm: 'evil', payload: Buffer.from(EVIL) })
    // the merge releases what is below the watermark: flush, move the clock on, flush again
    sim.flush()
    sim.advance(1_000_000)
    sim.flush()
    for (const pane of Object.values(panes)) await until(() => capture(pane).includes('evil['), `${pane} to print the records:\n${capture(pane)}`, 10_000)

    const lines = (pane: string): string[] => capture(pane).split('\n')
    const auto = lines(panes.auto)
    for (let level = 0; level < LEVEL_NAMES.length; level++) {
      const name = LEVEL_NAMES[level]!
      const line = auto.find(l => l.includes(MESSAGE(name)))
      assert.ok(line !== undefined, `a line for ${name}:\n${auto.join('\n')}`)
      const want = levelSgr(level).split(';').filter(p => p !== '').sort()
      assert.deepEqual(sgrBefore(line, name), want, `the level name ${name}: ${JSON.stringify(line)}`)
      assert.deepEqual(sgrBefore(line, MESSAGE(name)), want, `the message of ${name}: ${JSON.stringify(line)}`)
    }
    for (const [which, pane] of [['NO_COLOR=1', panes.noColor], ['--color never', panes.never]] as const) {
      const text = capture(pane)
      assert.ok(!text.includes(ESC), `${which}: no escape sequence at all`)
      for (const name of LEVEL_NAMES) assert.match(text, new RegExp(` ${name} +tmuxtest\\[\\d+\\]: ${MESSAGE(name)}$`, 'm'), `${which}: ${name}`)
    }
    for (const pane of Object.values(panes)) {
      const line = lines(pane).find(l => l.includes('evil['))!
      const plain = stripSgr(line)
      assert.ok(plain.endsWith('evil[99]: evil \\x1b[31mred\\x1b]0;retitled\\x07 end'), `ESC and BEL shown escaped: ${JSON.stringify(line)}`)
      assert.ok(!rawControl(plain), 'no raw control character')
    }
    assert.doesNotMatch(tmux('display-message', '-p', '-t', panes.auto, '#{pane_title}'), /retitled/, 'the record did not retitle the pane')
  } finally {
    assert.equal(await stop(collector), 0, collector.stderr())
    stopServing()
    sim.destroy()
  }
})
