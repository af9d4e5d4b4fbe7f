// cli/tail/color.ts: when `krelay tail` colors its lines (--color, NO_COLOR, FORCE_COLOR,
// TERM=dumb, a terminal or not), and the SGR sequences it wraps text in.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { levelSgr, paint, useColor } from '../../../cli/tail/color.ts'

describe('useColor', () => {
  it('auto: color on a terminal, none on a pipe or file', () => {
    assert.equal(useColor('auto', true, {}), true)
    assert.equal(useColor('auto', false, {}), false)
    assert.equal(useColor('auto', true, { TERM: 'xterm-256color' }), true)
    assert.equal(useColor('auto', true, { TERM: 'dumb' }), false)
  })

  it('auto: NO_COLOR set and non-empty turns color off, whatever its value; empty is unset', () => {
    for (const value of ['1', '0', 'false', 'yes', ' ']) assert.equal(useColor('auto', true, { NO_COLOR: value }), false, value)
    assert.equal(useColor('auto', true, { NO_COLOR: '' }), true)
    assert.equal(useColor('auto', true, { NO_COLOR: '1', FORCE_COLOR: '1' }), false, 'the user\'s NO_COLOR wins')
  })

  it('auto: FORCE_COLOR forces color even on a pipe, unless it is 0 or false', () => {
    for (const value of ['1', '2', '3', 'true', '']) assert.equal(useColor('auto', false, { FORCE_COLOR: value }), true, value)
    for (const value of ['0', 'false']) assert.equal(useColor('auto', true, { FORCE_COLOR: value }), false, value)
    assert.equal(useColor('auto', false, { FORCE_COLOR: '1', TERM: 'dumb' }), true)
  })

  it('--color always and never decide alone, over the environment', () => {
    const envs = [{}, { NO_COLOR: '1' }, { FORCE_COLOR: '1' }, { FORCE_COLOR: '0' }, { TERM: 'dumb' }]
    for (const env of envs) {
      for (const tty of [false, true]) {
        assert.equal(useColor('always', tty, env), true, JSON.stringify(env))
        assert.equal(useColor('never', tty, env), false, JSON.stringify(env))
      }
    }
  })
})

describe('SGR', () => {
  it('wraps text in an SGR sequence and a reset; plain text stays as it is', () => {
    assert.equal(paint('1;31', 'crit'), '\x1b[1;31mcrit\x1b[0m')
    assert.equal(paint('', 'info'), 'info')
  })

  it('colors levels like dmesg, and levels above 7 plainly', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 255].map(levelSgr), ['1;97;41', '1;97;41', '1;31', '31', '33', '1', '', '2', '', ''])
  })
})
