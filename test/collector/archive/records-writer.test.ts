// The records writer (collector/archive/records-writer.ts): what a row becomes in the
// archive. Staging and publishing mechanics are in stager.test.ts and publisher.test.ts.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { describedType, RECORDS_COLUMNS, typeName } from '../../../formats/archive-schema.ts'
import { RecordsWriter } from '../../../collector/archive/records-writer.ts'
import type { RecordRow } from '../../../collector/archive/types.ts'
import { RecordRowFiller } from '../../../collector/collect/record-row.ts'
import { dataView } from '../../../formats/bytes.ts'
import { recordCommOffset, writeRecord, type RecordFields } from '../../../formats/record.ts'
import { blankRow, CH_A, CH_B, listFiles, MONO_NS, OFFSET, query, records, setMono, outDir, TS_NS, UPTIME } from './helpers.ts'

interface Case {
  channel: string;
  offset: bigint;
  mono: bigint;
  cpu: number;
  seq: number;
  level: number;
  type: number;
  kind: number;
  ctx: number;
  pid: number;
  comm: string;
  msg: string | null;
  data: number[] | null;
  /** what msg must read back as, when not msg itself */
  msgBack?: string;
}

function append (w: RecordsWriter, row: RecordRow, c: Case): void {
  w.setChannel({ channelId: c.channel, monoToRealtimeNs: c.offset })
  setMono(row, c.mono)
  row.cpu = c.cpu
  row.seq = c.seq
  row.level = c.level
  row.type = c.type
  row.kind = c.kind
  row.ctx = c.ctx
  row.pid = c.pid
  row.comm = c.comm
  row.msg = c.msg
  row.data = c.data === null ? null : Uint8Array.from(c.data)
  w.append(row)
}

function hex (bytes: number[]): string {
  return bytes.map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join('')
}

describe('RecordsWriter: values', () => {
  const ZERO_CH = 'ffffffffffffffff'
  const T0 = UPTIME + 123_456_789n
  const all256 = Array.from({ length: 256 }, (_, i) => i)
  const cases: Case[] = [
    { channel: CH_A, offset: OFFSET, mono: T0, cpu: 0, seq: 1, level: 0, type: 0x0000, kind: 1, ctx: 0, pid: 1, comm: 'swapper/0', msg: 'hello', data: null },
    { channel: CH_A, offset: OFFSET, mono: T0 + 1n, cpu: 1, seq: 2 ** 53 - 1, level: 7, type: 0xff01, kind: 2, ctx: 2, pid: 2147483647, comm: 'krelay_gen/1', msg: null, data: [0, 0, 1, 0, 255, 0] },
    { channel: CH_A, offset: OFFSET, mono: T0 + 2n, cpu: 2, seq: 2 ** 53 - 2, level: 3, type: 0xff10, kind: 1, ctx: 1, pid: 0, comm: 'kworker/2:1H', msg: 'ünï ✓ 😀 漢字 a\u0000b\ttab\nnl', data: null },
    { channel: CH_A, offset: OFFSET, mono: T0 + 3n, cpu: 3, seq: 7, level: 5, type: 0xff11, kind: 1, ctx: 0, pid: -1, comm: 'çømm', msg: '', data: null },
    { channel: CH_A, offset: OFFSET, mono: T0 + 4n, cpu: 0, seq: 2, level: 4, type: 0x0102, kind: 2, ctx: 0, pid: 5, comm: '', msg: null, data: [] },
    { channel: CH_A, offset: OFFSET, mono: T0 + 5n, cpu: 0, seq: 3, level: 6, type: 0x000a, kind: 1, ctx: 0, pid: 6, comm: 'x', msg: 'lone \uD800 surrogate', data: null, msgBack: 'lone \uFFFD surrogate' },
    // kind wins over the other field: text records never carry data, binary never msg
    { channel: CH_A, offset: OFFSET, mono: T0 + 6n, cpu: 0, seq: 4, level: 1, type: 0xff02, kind: 1, ctx: 0, pid: 7, comm: 'y', msg: 'text', data: [1, 2] },
    { channel: CH_A, offset: OFFSET, mono: T0 + 7n, cpu: 0, seq: 5, level: 2, type: 0xfffe, kind: 2, ctx: 0, pid: 8, comm: 'z', msg: 'ignored', data: [3] },
    // same monotonic time on another channel (module reloaded, another offset): another ts
    { channel: CH_B, offset: OFFSET + 7n, mono: T0, cpu: 0, seq: 1, level: 6, type: 0xffff, kind: 2, ctx: 0, pid: 9, comm: 'b', msg: null, data: all256 },
    // extremes, with a zero offset so ts = mono
    { channel: ZERO_CH, offset: 0n, mono: (1n << 63n) - 2n, cpu: 5, seq: 1, level: 6, type: 0, kind: 1, ctx: 0, pid: 10, comm: 'max', msg: 'last representable ns', data: null },
    { channel: ZERO_CH, offset: 0n, mono: (1n << 53n) + 1n, cpu: 5, seq: 2 ** 53 - 1, level: 6, type: 0, kind: 1, ctx: 0, pid: 11, comm: '2^53+1', msg: 'not a double', data: null },
    { channel: ZERO_CH, offset: 0n, mono: (1n << 62n) + 12345n, cpu: 6, seq: 2 ** 52 + 1, level: 6, type: 0, kind: 1, ctx: 0, pid: 12, comm: '2^62', msg: 'x', data: null },
  ]

  it('reads back every row and every column exactly', async () => {
    const dir = outDir()
    const w = await RecordsWriter.open({ out: dir, host: 'node-1' })
    const row = blankRow()
    for (const c of cases) append(w, row, c)
    await w.close()

    const got = await query(`SELECT channel_id, cpu, seq::VARCHAR, ${TS_NS}::VARCHAR, ${MONO_NS}::VARCHAR, level, type, ctx,
        pid, comm, msg, hex(data), msg IS NULL, data IS NULL, host
      FROM ${records(dir)} ORDER BY channel_id, cpu, seq`)
    const want = [...cases]
      .sort((a, b) => (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : a.cpu - b.cpu || a.seq - b.seq))
      .map((c) => {
        const text = c.kind === 1
        return [
          c.channel, c.cpu, BigInt(c.seq).toString(), (c.mono + c.offset).toString(), c.mono.toString(),
          ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'][c.level], typeName(c.type),
          ['task', 'softirq', 'hardirq'][c.ctx], c.pid, c.comm,
          text ? (c.msgBack ?? c.msg) : null, text ? null : hex(c.data!), !text, text, 'node-1',
        ]
      })
    assert.deepEqual(got, want)
  })

  it('keeps seq above 2^53 - 2 and mono/ts near 2^63 exact (spot checks as text)', async () => {
    const dir = outDir()
    const w = await RecordsWriter.open({ out: dir, host: 'h' })
    const row = blankRow()
    for (const c of cases.slice(-3)) append(w, row, c)
    await w.close()
    const got = await query(`SELECT ts::VARCHAR, ts_nanos, ${TS_NS}::VARCHAR, ${MONO_NS}::VARCHAR, seq::VARCHAR FROM ${records(dir)} ORDER BY ts`)
    assert.deepEqual(got, [
      ['1970-04-15 05:59:59.25474+00', 993, '9007199254740993', '9007199254740993', '9007199254740991'],
      ['2116-02-20 23:53:38.4274+00', 249, '4611686018427400249', '4611686018427400249', '4503599627370497'],
      ['2262-04-11 23:47:16.854775+00', 806, '9223372036854775806', '9223372036854775806', '1'],
    ])
  })

  it('writes the schema of formats/archive-schema.ts, hive columns from the path', async () => {
    const dir = outDir()
    const w = await RecordsWriter.open({ out: dir, host: 'h' })
    const row = blankRow()
    append(w, row, cases[1]!)
    await w.close()
    const got = await query(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ${records(dir)})`)
    assert.deepEqual(got.slice(0, RECORDS_COLUMNS.length), RECORDS_COLUMNS.map((c) => [c.name, describedType(c.type)]))
    assert.deepEqual(got.slice(RECORDS_COLUMNS.length).map((r) => r[0]).sort(), ['date', 'host', 'hour'])
  })

  it('refuses what it cannot store exactly, and takes nothing', async () => {
    const dir = outDir()
    const w = await RecordsWriter.open({ out: dir, host: 'h' })
    const row = blankRow()
    assert.throws(() => w.append(row), /setChannel/)
    w.setChannel({ channelId: CH_A, monoToRealtimeNs: 0n })
    setMono(row, 1n << 63n) // BIGINT cannot hold mono
    assert.throws(() => w.append(row), RangeError)
    setMono(row, (1n << 63n) - 1n) // mono fits, but ts = 2^63 - 1 is DuckDB's 'infinity'
    assert.throws(() => w.append(row), RangeError)
    w.setChannel({ channelId: CH_A, monoToRealtimeNs: OFFSET })
    setMono(row, (1n << 63n) - OFFSET) // ts would overflow
    assert.throws(() => w.append(row), RangeError)
    setMono(row, UPTIME)
    row.seq = 2 ** 53
    assert.throws(() => w.append(row), RangeError)
    row.seq = 1.5
    assert.throws(() => w.append(row), RangeError)
    row.seq = -1
    assert.throws(() => w.append(row), RangeError)
    row.tsLo = -1
    row.seq = 1
    assert.throws(() => w.append(row), RangeError)
    assert.throws(() => w.setChannel({ channelId: 'XYZ', monoToRealtimeNs: 0n }), RangeError)
    assert.equal(w.stagedRows, 0)
    assert.deepEqual(await w.close(), [])
    // only the dataset's zero-row file (empty-file.ts)
    assert.deepEqual(listFiles(dir).map((f) => f.replace(/[^/]*$/, '')), ['records/host=h/' + listFiles(dir)[0]!.split('/').slice(2, 4).join('/') + '/'])
    assert.deepEqual(await query(`SELECT count(*) FROM ${records(dir)}`), [['0']])
    setMono(row, UPTIME)
    assert.throws(() => w.append(row), /closed/)
  })
})

describe('RecordsWriter.appendRecord: records as the kernel wrote them', () => {
  const T0 = UPTIME + 987_654_321n
  const enc = (s: string) => Buffer.from(s, 'utf8')
  // payload, kind, comm (a string, or raw 16 bytes), as wire records
  const cases: { kind: number; payload: Uint8Array; comm: string | number[] }[] = [
    { kind: 1, payload: enc('exec filename=/bin/true'), comm: 'kworker/1:0' },
    { kind: 1, payload: enc('ünï ✓ 😀 漢字 a\u0000b\ttab\nnl'), comm: 'çømm' },
    { kind: 1, payload: new Uint8Array(0), comm: '' },
    { kind: 2, payload: Uint8Array.from([0, 1, 0xff, 0xc0, 0x80]), comm: 'abcdefghijklmnopq' },
    { kind: 2, payload: new Uint8Array(0), comm: 'x' },
    { kind: 3, payload: enc('kind 3 is stored as data'), comm: 'y' },
    // not UTF-8: a stray byte, a cut sequence, an overlong NUL, a surrogate, above U+10FFFF
    { kind: 1, payload: Uint8Array.from([0x61, 0xff, 0x62]), comm: 'bad' },
    { kind: 1, payload: Uint8Array.from([0x61, 0xe2, 0x82]), comm: 'bad' },
    { kind: 1, payload: Uint8Array.from([0xc0, 0x80]), comm: 'bad' },
    { kind: 1, payload: Uint8Array.from([0xed, 0xa0, 0x80]), comm: 'bad' },
    { kind: 1, payload: Uint8Array.from([0xf4, 0x90, 0x80, 0x80]), comm: 'bad' },
    { kind: 1, payload: enc('comm is not UTF-8'), comm: [0x63, 0xff, 0x6f, 0xe2, 0x82, 0, 0x41] },
    { kind: 1, payload: enc('comm fills 16 bytes'), comm: [0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0xc3, 0xa9] },
  ]
  function wire (): { view: DataView; offs: number[] } {
    const buf = Buffer.alloc(4096, 0xee)
    const offs: number[] = []
    let off = 8
    cases.forEach((c, i) => {
      const comm = typeof c.comm === 'string' ? c.comm : ''
      const pid = i === 3 ? 0xffffffff : 100 + i
      const fields: RecordFields = { type: 0xff10 + i, kind: c.kind, level: i % 8, seq: 2 ** 40 + i, tsHi: 0, tsLo: 0, pid, ctx: i % 3, comm }
      setMono(fields, T0 + BigInt(i))
      offs.push(off)
      const len = writeRecord(buf, off, fields, c.payload)
      if (typeof c.comm !== 'string') buf.set(c.comm, recordCommOffset(off))
      off += len
    })
    return { view: dataView(buf), offs }
  }
  const rows = (dir: string) => query(`SELECT ${TS_NS}::VARCHAR, ${MONO_NS}::VARCHAR, cpu, seq::VARCHAR, level, type, ctx, pid,
      comm, msg, hex(data), msg IS NULL, data IS NULL, channel_id FROM ${records(dir)} ORDER BY ts, ts_nanos, cpu, seq`)

  it('stores what append() stores for the same record filled by RecordRowFiller', async () => {
    const { view, offs } = wire()
    const dirs = [outDir(), outDir()]
    const [bytesWay, rowWay] = await Promise.all(dirs.map((out) => RecordsWriter.open({ out, host: 'h' })))
    const filler = new RecordRowFiller()
    for (const w of [bytesWay!, rowWay!]) w.setChannel({ channelId: CH_A, monoToRealtimeNs: OFFSET })
    offs.forEach((off, i) => {
      bytesWay!.appendRecord(view, off, i % 4)
      rowWay!.append(filler.fill(view, off, i % 4))
    })
    await Promise.all([bytesWay!.close(), rowWay!.close()])
    const [got, want] = await Promise.all(dirs.map(rows))
    assert.equal(got!.length, cases.length)
    assert.deepEqual(got, want)
    // spot checks that the reference itself is right
    assert.equal(got![1]![9], 'ünï ✓ 😀 漢字 a\u0000b\ttab\nnl')
    assert.equal(got![6]![9], 'a\uFFFDb')
    assert.equal(got![11]![8], 'c\uFFFDo\uFFFD')
    assert.equal(got![12]![8], 'abcdefghijklmné')
    assert.equal(got![3]![10], '0001FFC080')
  })

  it('refuses a time or seq the archive cannot hold, and takes nothing', async () => {
    const dir = outDir()
    const w = await RecordsWriter.open({ out: dir, host: 'h' })
    w.setChannel({ channelId: CH_A, monoToRealtimeNs: OFFSET })
    const buf = Buffer.alloc(256)
    const fields: RecordFields = { type: 0, kind: 1, level: 6, seq: 1, tsHi: 0x80000000, tsLo: 0, pid: 1, ctx: 0, comm: 'c' }
    writeRecord(buf, 0, fields, enc('m'))
    assert.throws(() => w.appendRecord(dataView(buf), 0, 0), RangeError)
    setMono(fields, UPTIME)
    writeRecord(buf, 0, fields, enc('m'))
    buf.writeUInt32LE(0x00200000, 8 + 4) // seq's high half: seq = 2^53
    assert.throws(() => w.appendRecord(dataView(buf), 0, 0), RangeError)
    assert.equal(w.stagedRows, 0)
    assert.deepEqual(await w.close(), [])
  })
})
