import { test } from 'node:test'
import assert from 'node:assert/strict'
import { commList, cpuList, grepOption, pidList, typeList } from '../../../cli/tail/filter-options.ts'
import { parseOptions } from '../../../cli/options.ts'
import { tailSchema } from '../../../cli/tail.ts'
import { UsageError } from '../../../cli/errors.ts'

test('lists: CPUs and pids with ranges, types by name or number, comms, a regular expression', () => {
  assert.deepEqual(cpuList.parse('0,2-3'), [0, 2, 3])
  assert.deepEqual(cpuList.parse('3,1,3'), [1, 3])
  assert.deepEqual(pidList.parse('4711'), [4711])
  assert.deepEqual(typeList.parse('text,gen,sched_exec,sched_fork,0x0102'), [0, 0xff01, 0xff10, 0xff11, 0x0102])
  assert.deepEqual(commList.parse('bash,kworker/0:1'), ['bash', 'kworker/0:1'])
  assert.equal(grepOption.parse('I/O error'), 'I/O error')
  for (const bad of ['', 'a', '1-', '3-1', '0,,1', '70000']) assert.equal(cpuList.safeParse(bad).success, false, bad)
  for (const bad of ['binary', '0x12345', 'text,']) assert.equal(typeList.safeParse(bad).success, false, bad)
  assert.equal(commList.safeParse('a-name-longer-than-16').success, false)
  assert.equal(grepOption.safeParse('(').success, false)
})

test('tail options: defaults and each bad value named', () => {
  const base = { socket: '/run/krelay/live.sock', time: 'utc', color: 'auto' }
  assert.deepEqual(parseOptions(tailSchema, base), { socket: '/run/krelay/live.sock', json: false, time: 'utc', color: 'auto' })
  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ time: 'gmt' }, /^--time must be utc, local or mono, got "gmt"$/],
    [{ color: 'yes' }, /^--color must be auto, always or never, got "yes"$/],
    [{ level: 'warn' }, /^--level must be emerg, alert, crit, err, warning, notice, info or debug, got "warn"$/],
    [{ cpu: 'x' }, /^--cpu must be a list of CPUs such as 0,2-3, got "x"$/],
    [{ type: 'foo' }, /^--type must be a list of text, gen, sched_exec, sched_fork or 0xNNNN, got "foo"$/],
    [{ grep: '[' }, /^--grep must be a regular expression, got "\["$/],
  ]
  for (const [patch, re] of bad) assert.throws(() => parseOptions(tailSchema, { ...base, ...patch }), (err: unknown) => err instanceof UsageError && re.test(err.message))
})
