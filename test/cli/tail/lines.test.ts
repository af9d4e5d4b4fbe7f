// cli/tail/lines.ts: the exact text lines of `krelay tail` for real records written with
// formats/record.ts, in the three time modes, with and without color, and that nothing a
// record holds reaches the terminal as a control character.
import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { lossLine, recordLine, skippedLine, type LineOptions } from '../../../cli/tail/lines.ts'
import { KIND_BINARY, TYPE_GEN, TYPE_SCHED_EXEC } from '../../../formats/wire.ts'
import { CH, channelAt, CONTROL, lossRow, MONO, oneRecord, stripSgr, writeRecords, type TestRecord } from './records.ts'

const UTC: LineOptions = { time: 'utc', color: false }
const COLOR: LineOptions = { time: 'utc', color: true }
const T = '2026-11-30T06:21:07.123456789Z'

function line (r: TestRecord, opts: LineOptions = UTC, cpu = 3, ch = CH): string {
  const [view, off] = oneRecord(r)
  return recordLine(view, off, cpu, ch, opts)
}

const tz = process.env.TZ
afterEach(() => {
  if (tz === undefined) delete process.env.TZ
  else process.env.TZ = tz
})

describe('recordLine', () => {
  it('shows time, cpu, level, comm[pid] and the message without its trailing newline', () => {
    assert.equal(line({ level: 3, payload: 'disk on fire\n' }), `${T} cpu3  err     kworker/3:1[212]: disk on fire`)
    assert.equal(line({ level: 6, pid: 1, comm: 'systemd', payload: 'hello' }, UTC, 12), `${T} cpu12 info    systemd[1]: hello`)
    // only one newline is the record's end; one more is in the message
    assert.equal(line({ payload: 'two\n\n' }), `${T} cpu3  info    kworker/3:1[212]: two\\x0a`)
    assert.equal(line({ payload: '' }), `${T} cpu3  info    kworker/3:1[212]: `)
    // a text record of a krelay type shows its message like any other
    assert.equal(line({ type: TYPE_SCHED_EXEC, payload: 'exec filename=/bin/true pid=9 old_pid=9' }), `${T} cpu3  info    kworker/3:1[212]: exec filename=/bin/true pid=9 old_pid=9`)
  })

  it('names every level and pads it to the longest', () => {
    const names = ['emerg  ', 'alert  ', 'crit   ', 'err    ', 'warning', 'notice ', 'info   ', 'debug  ', '8      ']
    names.forEach((name, level) => assert.equal(line({ level, payload: 'm' }), `${T} cpu3  ${name} kworker/3:1[212]: m`))
  })

  it('escapes control characters in the message and comm, keeps tabs and other text', () => {
    const msg = 'a\x1b[2Jb\x1b]0;pwned\x07c\nd\x00e\x7ff\u009bg\rh\ti\u00e9\u2028\\x1b\n'
    assert.equal(line({ payload: msg, comm: 'ev\x1bil' }),
      `${T} cpu3  info    ev\\x1bil[212]: a\\x1b[2Jb\\x1b]0;pwned\\x07c\\x0ad\\x00e\\x7ff\\x9bg\\x0dh\ti\u00e9\u2028\\x1b`)
    // invalid UTF-8 shows as U+FFFD, as the archive stores it
    assert.equal(line({ payload: Buffer.from([0x6f, 0xff, 0x6b]), kind: 1 }), `${T} cpu3  info    kworker/3:1[212]: o\ufffdk`)
  })

  it('shows a comm of 16 bytes without a NUL whole, and a pid as the archive does', () => {
    assert.equal(line({ comm: 'abcdefghijklmnop', pid: 4_294_967_295, payload: 'x' }), `${T} cpu3  info    abcdefghijklmnop[-1]: x`)
    assert.equal(line({ comm: 'abcdefghijklmnopqrst', payload: 'x' }), `${T} cpu3  info    abcdefghijklmnop[212]: x`)
  })

  it('shows a binary record as its type, length and first 16 bytes', () => {
    const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 17) & 0xff)
    assert.equal(line({ type: TYPE_GEN, payload: bytes(24) }),
      `${T} cpu3  info    kworker/3:1[212]: [gen, 24 bytes] 00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff …`)
    assert.equal(line({ type: 0x0102, payload: bytes(16) }),
      `${T} cpu3  info    kworker/3:1[212]: [0x0102, 16 bytes] 00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff`)
    assert.equal(line({ type: TYPE_GEN, payload: bytes(1) }), `${T} cpu3  info    kworker/3:1[212]: [gen, 1 byte] 00`)
    assert.equal(line({ type: TYPE_GEN, payload: bytes(0) }), `${T} cpu3  info    kworker/3:1[212]: [gen, 0 bytes]`)
    assert.equal(line({ type: TYPE_GEN, payload: bytes(2048) }).split(': ')[1]!.slice(0, 19), '[gen, 2,048 bytes] ')
    // a text payload in a binary record is not printed as text
    assert.equal(line({ kind: KIND_BINARY, payload: Buffer.from('\x1b[2J') }), `${T} cpu3  info    kworker/3:1[212]: [text, 4 bytes] 1b 5b 32 4a`)
  })

  it('shows UTC to the nanosecond across second, hour, day and year boundaries', () => {
    const at = (utc: string, extraNs: bigint) => channelAt(MONO, BigInt(Date.parse(utc)) * 1_000_000n + extraNs)
    const time = (ch: typeof CH) => line({ payload: 'x' }, UTC, 3, ch).split(' ')[0]
    assert.equal(time(at('2026-12-31T23:59:59Z', 999_999_999n)), '2026-12-31T23:59:59.999999999Z')
    assert.equal(time(at('2027-01-01T00:00:00Z', 0n)), '2027-01-01T00:00:00.000000000Z')
    assert.equal(time(at('2026-11-30T06:59:59Z', 999_999_999n)), '2026-11-30T06:59:59.999999999Z')
    assert.equal(time(at('2028-02-29T07:00:00Z', 1n)), '2028-02-29T07:00:00.000000001Z')
  })

  it('keeps a monotonic time above 2^53 ns exact, and any signed 64-bit offset', () => {
    const mono = (1n << 53n) + 1n // 104 days of uptime and a nanosecond
    const r = { mono, payload: 'x' }
    assert.equal(line(r, UTC, 0, channelAt(mono, BigInt(Date.UTC(2027, 0, 1)) * 1_000_000n + 7n)).slice(0, 30), '2027-01-01T00:00:00.000000007Z')
    assert.equal(line(r, { time: 'mono', color: false }, 0).slice(0, 24), '[9007199.254740993] cpu0')
    // an offset that puts the record before 1970, and the largest one
    assert.equal(line({ mono: 5n, payload: 'x' }, UTC, 0, { channelId: 'c', monoToRealtimeNs: -6n }).slice(0, 30), '1969-12-31T23:59:59.999999999Z')
    assert.equal(line({ mono: 1_500_000_000n, payload: 'x' }, UTC, 0, { channelId: 'c', monoToRealtimeNs: -3_000_000_001n }).slice(0, 30), '1969-12-31T23:59:58.499999999Z')
    assert.equal(line({ mono: 0n, payload: 'x' }, UTC, 0, { channelId: 'c', monoToRealtimeNs: (1n << 63n) - 1n }).slice(0, 30), '2262-04-11T23:47:16.854775807Z')
    assert.equal(line({ mono: 0n, payload: 'x' }, UTC, 0, { channelId: 'c', monoToRealtimeNs: -(1n << 63n) }).slice(0, 30), '1677-09-21T00:12:43.145224192Z')
  })

  it('shows local time with its offset, 9 digits, in any zone', () => {
    const local = { time: 'local', color: false } as const
    const at = (utc: string, extraNs = 0n) => channelAt(MONO, BigInt(Date.parse(utc)) * 1_000_000n + extraNs)
    process.env.TZ = 'Asia/Kolkata'
    assert.equal(line({ payload: 'x' }, local), '2026-11-30T11:51:07.123456789+05:30 cpu3  info    kworker/3:1[212]: x')
    assert.equal(line({ payload: 'x' }, local, 3, at('2026-12-31T18:30:00Z')).slice(0, 35), '2027-01-01T00:00:00.000000000+05:30')
    process.env.TZ = 'America/New_York'
    assert.equal(line({ payload: 'x' }, local, 3, at('2027-01-01T04:59:59Z', 999_999_999n)).slice(0, 35), '2026-12-31T23:59:59.999999999-05:00')
    assert.equal(line({ payload: 'x' }, local, 3, at('2026-07-01T12:00:00Z')).slice(0, 35), '2026-07-01T08:00:00.000000000-04:00')
    process.env.TZ = 'UTC'
    assert.equal(line({ payload: 'x' }, local).slice(0, 35), '2026-11-30T06:21:07.123456789+00:00')
    // Amsterdam's local mean time, +00:19:32: whole minutes, and time + offset still the instant
    process.env.TZ = 'Europe/Amsterdam'
    const text = line({ payload: 'x' }, local, 3, at('1900-06-01T12:00:00Z')).slice(0, 35)
    const [, hm, sign, oh, om] = /T(\d\d:\d\d):00\.000000000([+-])(\d\d):(\d\d)$/.exec(text) ?? []
    assert.ok(hm !== undefined, text)
    const minutes = Number(hm.slice(0, 2)) * 60 + Number(hm.slice(3)) - (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om))
    assert.equal(minutes, 12 * 60, text)
  })

  it('shows mono time as seconds since boot like dmesg, to the nanosecond', () => {
    const mono = { time: 'mono', color: false } as const
    assert.equal(line({ payload: 'x' }, mono), '[  123.456789012] cpu3  info    kworker/3:1[212]: x')
    assert.equal(line({ mono: 0n, payload: 'x' }, mono).slice(0, 17), '[    0.000000000]')
    assert.equal(line({ mono: 123_456_000_000_001n, payload: 'x' }, mono).slice(0, 18), '[123456.000000001]')
    assert.equal(line({ mono: (1n << 64n) - 1n, payload: 'x' }, mono).slice(0, 30), '[18446744073.709551615] cpu3  ')
  })

  it('colors by level like dmesg and dims the time, only with opts.color', () => {
    const sgr = ['1;97;41', '1;97;41', '1;31', '31', '33', '1', '', '2']
    const names = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug']
    names.forEach((name, level) => {
      const paint = (s: string) => sgr[level] === '' ? s : `\x1b[${sgr[level]}m${s}\x1b[0m`
      assert.equal(line({ level, payload: 'm\x1b' }, COLOR),
        `\x1b[2m${T}\x1b[0m cpu3  ${paint(name)}${' '.repeat(8 - name.length)}kworker/3:1[212]: ${paint('m\\x1b')}`)
      assert.ok(!line({ level, payload: 'm' }).includes('\x1b'))
    })
    assert.equal(line({ payload: 'x' }, { time: 'mono', color: true }), '\x1b[2m[  123.456789012]\x1b[0m cpu3  info    kworker/3:1[212]: x')
  })
})

describe('lossLine', () => {
  it('says how many were lost, on which cpu and why, at the time the gap starts', () => {
    assert.equal(lossLine(lossRow(), CH, UTC), `${T} -- 1,204 records lost on cpu 3: kernel buffer full --`)
    assert.equal(lossLine(lossRow({ reason: 'corrupt', count: 1, cpu: 0 }), CH, UTC), `${T} -- 1 record lost on cpu 0: damaged in the capture --`)
    assert.equal(lossLine(lossRow({ reason: 'collector', count: 1_234_567 }), CH, UTC), `${T} -- 1,234,567 records lost on cpu 3: the collector could not store them --`)
    assert.equal(lossLine(lossRow({ count: 2 ** 53 - 1 }), CH, { time: 'mono', color: false }), '[  123.456789012] -- 9,007,199,254,740,991 records lost on cpu 3: kernel buffer full --')
  })

  it('says where a CPU\'s stream ended at a module unload', () => {
    assert.equal(lossLine(lossRow({ reason: 'reload', count: 0, firstSeq: 41_204 }), CH, UTC),
      `${T} -- module unloaded: cpu 3's stream of channel 9f3c2a71d04b5e86 ended after seq 41,203 --`)
    assert.equal(lossLine(lossRow({ reason: 'reload', count: 0, firstSeq: 1 }), CH, UTC),
      `${T} -- module unloaded: cpu 3's stream of channel 9f3c2a71d04b5e86 ended before its first record --`)
  })

  it('colors a loss bold yellow and a reload bold, only with opts.color', () => {
    assert.equal(lossLine(lossRow(), CH, COLOR), `\x1b[2m${T}\x1b[0m \x1b[1;33m-- 1,204 records lost on cpu 3: kernel buffer full --\x1b[0m`)
    assert.equal(lossLine(lossRow({ reason: 'reload', count: 0, firstSeq: 2 }), CH, COLOR),
      `\x1b[2m${T}\x1b[0m \x1b[1m-- module unloaded: cpu 3's stream of channel 9f3c2a71d04b5e86 ended after seq 1 --\x1b[0m`)
  })
})

describe('skippedLine', () => {
  it('says how many records this terminal missed', () => {
    assert.equal(skippedLine(48_112, UTC), '-- 48,112 records skipped: this terminal could not keep up --')
    assert.equal(skippedLine(1, UTC), '-- 1 record skipped: this terminal could not keep up --')
    assert.equal(skippedLine(999, COLOR), '\x1b[33m-- 999 records skipped: this terminal could not keep up --\x1b[0m')
  })
})

describe('no control characters', () => {
  it('in any line without color, and none but SGR with color', () => {
    const nasty = [...Array(0xa0).keys()].map((c) => String.fromCharCode(c)).join('')
    const { view, offs } = writeRecords([
      { payload: nasty, comm: '\x1b]0;x\x07\x9b\x7f\n\r\x00abcdefgh' },
      { payload: Buffer.from(nasty, 'latin1'), comm: '\x1b[31m' },
      { payload: Buffer.from(nasty, 'latin1'), kind: 1 },
      ...[0, 1, 2, 3, 4, 5, 6, 7, 200].map((level) => ({ level, payload: `\x1b[${level}m\n` })),
    ])
    const lines: string[] = []
    for (const time of ['utc', 'local', 'mono'] as const) {
      for (const color of [false, true]) {
        const opts = { time, color }
        for (const off of offs) lines.push(recordLine(view, off, 1, CH, opts))
        for (const reason of ['dropped', 'corrupt', 'collector', 'reload'] as const) lines.push(lossLine(lossRow({ reason }), { channelId: '\x1b[2J', monoToRealtimeNs: 0n }, opts))
        lines.push(skippedLine(3, opts))
      }
    }
    assert.equal(lines.length, 3 * 2 * (offs.length + 5))
    lines.forEach((l, i) => {
      const color = Math.floor(i / (offs.length + 5)) % 2 === 1
      if (!color) assert.ok(!l.includes('\x1b'), JSON.stringify(l))
      assert.doesNotMatch(stripSgr(l), CONTROL, JSON.stringify(l))
    })
  })
})
