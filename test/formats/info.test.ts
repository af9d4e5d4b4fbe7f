import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseInfo, readChannelId } from '../../formats/info.ts'
import { KrelayFormatError, UnsupportedAbiError } from '../../formats/errors.ts'

const INFO = `abi_version 1
channel_id 9f3c2a71d04b5e86
subbuf_size 262144
n_subbufs 8
subbuf_header_size 80
record_header_size 48
flush_interval_ms 100
clock monotonic
mono_to_realtime_ns 1764032400123456789
cpus 0 1 2 3
running 1
min_level 7
generator idle
generator_run 3
source_sched 0
`

function withKey (key: string, value: string | null): string {
  const lines = INFO.split('\n').filter((line) => !line.startsWith(`${key} `))
  if (value !== null) lines.splice(1, 0, `${key} ${value}`)
  return lines.join('\n')
}

test('info: the example of PROTOCOL.md §2, unknown keys ignored but kept', () => {
  const info = parseInfo(`${INFO}future_key some value\n`)
  assert.equal(info.abiVersion, 1)
  assert.equal(info.subbufSize, 262144)
  assert.equal(info.nSubbufs, 8)
  assert.equal(info.flushIntervalMs, 100)
  assert.equal(info.monoToRealtimeNs, 1764032400123456789n, 'exact beyond 2^53')
  assert.deepEqual(info.cpus, [0, 1, 2, 3])
  assert.equal(info.running, true)
  assert.equal(info.minLevel, 7)
  assert.equal(info.generator, 'idle')
  assert.equal(info.generatorRun, 3)
  assert.equal(info.sourceSched, false)
  assert.equal(info.keys.get('future_key'), 'some value')
  assert.equal(info.channelId, '9f3c2a71d04b5e86')
  assert.equal(readChannelId(INFO), '9f3c2a71d04b5e86')
})

test('info: channel_id may be absent (older modules); mono_to_realtime_ns may be negative', () => {
  const info = parseInfo(withKey('mono_to_realtime_ns', '-5').replace(/^channel_id .*\n/m, ''))
  assert.equal(info.channelId, null)
  assert.equal(parseInfo(withKey('generator_run', null)).generatorRun, null, 'generator_run is newer than ABI 1')
  assert.equal(readChannelId(withKey('channel_id', null)), null)
  assert.equal(info.monoToRealtimeNs, -5n)
})

test('info: unpinned_files says whether open files hold the module (§1); absent in older modules, so no', () => {
  assert.equal(parseInfo(INFO).unpinnedFiles, false)
  assert.equal(parseInfo(withKey('unpinned_files', '1')).unpinnedFiles, true)
  assert.equal(parseInfo(withKey('unpinned_files', '0')).unpinnedFiles, false)
  assert.throws(() => parseInfo(withKey('unpinned_files', 'yes')), /info: key unpinned_files/)
})

test('info: an unknown ABI version is refused with the message of §2, before anything else', () => {
  assert.throws(() => parseInfo(withKey('abi_version', '2')), {
    name: 'UnsupportedAbiError',
    message: 'krelay ABI version 2 is not supported by this collector (it reads version 1)',
  })
  // even when the rest would not parse under version 1
  assert.throws(() => parseInfo('abi_version 3\nsubbuf_header_size 96\n'), UnsupportedAbiError)
})

test('info: bad or missing keys are named', () => {
  const cases: Array<[string, string | null, RegExp]> = [
    ['abi_version', null, /key abi_version is missing/],
    ['subbuf_size', null, /key subbuf_size is missing/],
    ['subbuf_size', 'lots', /key subbuf_size: .*unsigned.*"lots"/],
    ['subbuf_size', '1004', /key subbuf_size: .*multiple of 8/],
    ['n_subbufs', '0', /key n_subbufs/],
    ['subbuf_header_size', '96', /key subbuf_header_size: ABI version 1 has 80-byte sub-buffer headers/],
    ['record_header_size', '40', /key record_header_size: ABI version 1 has 48-byte record headers/],
    ['clock', 'realtime', /key clock/],
    ['cpus', '0  1', /key cpus/],
    ['cpus', '1 1', /key cpus: a CPU is listed twice/],
    ['min_level', '8', /key min_level/],
    ['generator', 'busy', /key generator/],
    ['generator_run', '-1', /key generator_run/],
    ['channel_id', '9F3C2A71D04B5E86', /key channel_id: expected 16 lowercase hex digits/],
    ['channel_id', '1234', /key channel_id/],
    ['mono_to_realtime_ns', '1e9', /key mono_to_realtime_ns/],
  ]
  for (const [key, value, message] of cases) {
    assert.throws(() => parseInfo(withKey(key, value)), (err: Error) => {
      assert.ok(err instanceof KrelayFormatError, `${key}=${value}: ${err}`)
      assert.match(err.message, message)
      return true
    })
  }
  assert.throws(() => parseInfo(`${INFO}lonely\n`), /info line 16: expected "key value"/)
  assert.throws(() => parseInfo(`${INFO}running 0\n`), /info line 16: key running appears twice/)
})
