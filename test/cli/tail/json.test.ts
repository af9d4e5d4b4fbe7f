// cli/tail/json.ts and formats/JSON-LINES.md: the lines have the archive's column names in
// the archive's order (one exact time for a time and its nanoseconds), round-trip to the exact values, hold no control character, and the
// document shows the field tables and its example lines exactly as the code produces them.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import {
  fieldsMarkdown, LOSS_FIELDS, lossJson, RECORD_FIELDS, recordJson, SKIPPED_FIELDS, skippedJson, type JsonField,
} from '../../../cli/tail/json.ts'
import { LOSSES_COLUMNS, RECORDS_COLUMNS } from '../../../formats/archive-schema.ts'
import { u64FromBigInt } from '../../../formats/u64.ts'
import { lossLine, recordLine, skippedLine } from '../../../cli/tail/lines.ts'
import { CTX_HARDIRQ, CTX_SOFTIRQ, KIND_BINARY, LEVEL_ERR, TYPE_GEN } from '../../../formats/wire.ts'
import { CH, channelAt, CONTROL, lossRow, MONO, oneRecord, writeRecords, type TestRecord } from './records.ts'

const doc = readFileSync(fileURLToPath(new URL('../../../formats/JSON-LINES.md', import.meta.url)), 'utf8')
const T = '2026-11-30T06:21:07.123456789Z'

function json (r: TestRecord, cpu = 3, ch = CH): Record<string, unknown> {
  const [view, off] = oneRecord(r)
  return JSON.parse(recordJson(view, off, cpu, ch))
}

/** The value has the JSON type its field's table row says. */
function assertTypes (line: Record<string, unknown>, fields: readonly JsonField[]): void {
  assert.deepEqual(Object.keys(line), fields.map((f) => f.name))
  for (const f of fields) {
    const v = line[f.name]
    const ok = f.type === 'number' ? typeof v === 'number' : typeof v === 'string' || (f.type === 'string or null' && v === null)
    assert.ok(ok, `${f.name}: ${JSON.stringify(v)} is not ${f.type}`)
  }
}

/** UTC ns of an RFC 3339 `...Z` time with 9 digits, exactly. */
function nsOf (ts: string): bigint {
  assert.match(ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/)
  return BigInt(Date.parse(ts.slice(0, 19) + 'Z')) * 1_000_000n + BigInt(ts.slice(20, 29))
}

describe('JSON lines', () => {
  it('use the archive\'s column names in the archive\'s order', () => {
    // one exact time where the archive has ts and ts_nanos; the kernel's mono_ns where it has its offset
    const recordNames = RECORDS_COLUMNS.map((c) => c.name as string).filter((n) => n !== 'ts_nanos')
    recordNames.splice(recordNames.indexOf('mono_offset_ns'), 1, 'mono_ns')
    assert.deepEqual(RECORD_FIELDS.map((f) => f.name), recordNames)
    assert.deepEqual(LOSS_FIELDS.map((f) => f.name), ['event', ...LOSSES_COLUMNS.map((c) => c.name).filter((n) => !n.endsWith('_nanos'))])
    assert.deepEqual(SKIPPED_FIELDS.map((f) => f.name), ['event', 'count'])
  })

  it('a text record: every field, in order, with the exact message', () => {
    const [view, off] = oneRecord({ level: LEVEL_ERR, seq: 41_203, payload: 'disk on fire\n' })
    assert.equal(recordJson(view, off, 3, CH),
      `{"ts":"${T}","mono_ns":"123456789012","cpu":3,"seq":41203,"level":"err","type":"text","ctx":"task","pid":212,` +
      '"comm":"kworker/3:1","msg":"disk on fire\\n","data":null,"channel_id":"9f3c2a71d04b5e86"}')
  })

  it('a binary record: data in base64, exactly the payload, msg null', () => {
    const payload = Uint8Array.from({ length: 259 }, (_, i) => (i * 31 + 7) & 0xff)
    const line = json({ type: TYPE_GEN, ctx: CTX_SOFTIRQ, payload })
    assertTypes(line, RECORD_FIELDS)
    assert.equal(line.type, 'gen')
    assert.equal(line.ctx, 'softirq')
    assert.equal(line.msg, null)
    assert.deepEqual(Buffer.from(line.data as string, 'base64'), Buffer.from(payload))
    assert.equal(json({ type: 0x0102, payload: new Uint8Array(0) }).data, '')
    assert.equal(json({ kind: KIND_BINARY, payload: Buffer.from('\x1b[2J') }).data, 'G1sySg==')
  })

  it('keep u64 values exact: seq up to 2^53 - 1, mono_ns above 2^53 as a string, ts to the ns', () => {
    const mono = (1n << 60n) + 123_456_789n
    const ch = channelAt(mono, BigInt(Date.UTC(2026, 11, 31, 23, 59, 59)) * 1_000_000n + 999_999_999n)
    const line = json({ seq: 2 ** 53 - 1, mono, ctx: CTX_HARDIRQ, level: 7, pid: 2 ** 31 - 1 }, 255, ch)
    assertTypes(line, RECORD_FIELDS)
    assert.equal(line.seq, 2 ** 53 - 1)
    assert.equal(line.mono_ns, '1152921504730303765')
    assert.equal(BigInt(line.mono_ns as string), mono)
    assert.equal(line.ts, '2026-12-31T23:59:59.999999999Z')
    assert.equal(nsOf(line.ts as string), mono + ch.monoToRealtimeNs)
    assert.equal(line.cpu, 255)
    assert.equal(line.level, 'debug')
    assert.equal(line.ctx, 'hardirq')
    assert.equal(line.pid, 2 ** 31 - 1)
    assert.equal(json({ mono: (1n << 64n) - 1n }, 0, { channelId: 'c', monoToRealtimeNs: 0n }).mono_ns, '18446744073709551615')
    // before 1970 with a broken offset: still RFC 3339, still exact
    const early = json({ mono: 1n }, 0, { channelId: 'c', monoToRealtimeNs: -2n })
    assert.equal(early.ts, '1969-12-31T23:59:59.999999999Z')
  })

  it('msg and comm parse back to the exact text; the line holds no control character', () => {
    const nasty = [...Array(0xa0).keys()].map((c) => String.fromCharCode(c)).join('') + '\u00e9\u2028\n'
    const { view, offs } = writeRecords([
      { payload: nasty, comm: '\x1b]0;\x07\x7f\u009b' },
      { payload: 'a\x7fb\u0085c\u009bd\x1be' },
      { comm: 'abcdefghijklmnop' },
    ])
    const lines = offs.map((off) => recordJson(view, off, 0, CH))
    for (const l of lines) assert.doesNotMatch(l, CONTROL)
    const parsed = lines.map((l) => JSON.parse(l))
    assert.equal(parsed[0].msg, nasty)
    assert.equal(parsed[0].comm, '\x1b]0;\x07\x7f\u009b')
    assert.equal(parsed[1].msg, 'a\x7fb\u0085c\u009bd\x1be')
    assert.ok(lines[1]!.includes('"msg":"a\\u007fb\\u0085c\\u009bd\\u001be"'), lines[1])
    assert.equal(parsed[2].comm, 'abcdefghijklmnop')
  })

  it('a loss line: event, the losses columns, no seq', () => {
    assert.equal(lossJson(lossRow(), CH),
      '{"event":"loss","cpu":3,"first_seq":5001,"count":1204,"ts_from":"2026-11-30T06:21:07.123456789Z",' +
      '"ts_to":"2026-11-30T06:21:07.124456789Z","reason":"dropped","channel_id":"9f3c2a71d04b5e86"}')
    for (const reason of ['dropped', 'corrupt', 'collector', 'reload'] as const) {
      const line = JSON.parse(lossJson(lossRow({ reason, firstSeq: 2 ** 53 - 2, count: 1 }), CH))
      assertTypes(line, LOSS_FIELDS)
      assert.equal(line.event, reason === 'reload' ? 'reload' : 'loss')
      assert.equal(line.reason, reason)
      assert.equal(line.first_seq, 2 ** 53 - 2)
      assert.ok(!('seq' in line))
    }
    const mono = (1n << 55n) + 1n
    const h = { hi: Number(mono >> 32n), lo: Number(mono & 0xffffffffn) }
    const line = JSON.parse(lossJson(lossRow({ fromHi: h.hi, fromLo: h.lo, toHi: h.hi, toLo: h.lo + 1 }), channelAt(mono, 5n)))
    assert.deepEqual([line.ts_from, line.ts_to], ['1970-01-01T00:00:00.000000005Z', '1970-01-01T00:00:00.000000006Z'])
  })

  it('a skipped line: event and count', () => {
    assert.equal(skippedJson(48_112), '{"event":"skipped","count":48112}')
    assertTypes(JSON.parse(skippedJson(0)), SKIPPED_FIELDS)
  })
})

describe('formats/JSON-LINES.md', () => {
  it('shows every field table verbatim', () => {
    for (const fields of [RECORD_FIELDS, LOSS_FIELDS, SKIPPED_FIELDS]) {
      const table = fieldsMarkdown(fields)
      assert.ok(doc.includes(table), `JSON-LINES.md lacks:\n${table}`)
    }
  })

  it('shows example lines exactly as krelay tail --json and krelay tail write them', () => {
    const block = (lang: string) => new RegExp(`## Example\\n[\\s\\S]*?\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``).exec(doc)?.[1]
    const jsonl = block('jsonl')
    const text = block('text')
    assert.ok(jsonl !== undefined && text !== undefined, 'JSON-LINES.md has a ```jsonl and a ```text block under "## Example"')
    // the stream the example shows: a record, the gap after it, a record on another CPU,
    // a skip, and the end of CPU 3's stream at a module unload
    const { view, offs } = writeRecords([
      { level: LEVEL_ERR, seq: 5000, payload: 'disk on fire\n' },
      { type: TYPE_GEN, seq: 88, pid: 4711, comm: 'krelay', payload: Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 7, 0, 0, 0]), mono: MONO + 1_000n },
    ])
    const loss = lossRow()
    const from = u64FromBigInt(MONO + 2_000_000n)
    const to = u64FromBigInt(MONO + 3_000_000n)
    const reload = lossRow({ reason: 'reload', count: 0, firstSeq: 6206, fromHi: from.hi, fromLo: from.lo, toHi: to.hi, toLo: to.lo })
    const opts = { time: 'utc', color: false } as const
    assert.equal(jsonl, [
      recordJson(view, offs[0]!, 3, CH), lossJson(loss, CH), recordJson(view, offs[1]!, 2, CH), skippedJson(48_112), lossJson(reload, CH), '',
    ].join('\n'))
    assert.equal(text, [
      recordLine(view, offs[0]!, 3, CH, opts), lossLine(loss, CH, opts), recordLine(view, offs[1]!, 2, CH, opts),
      skippedLine(48_112, opts), lossLine(reload, CH, opts), '',
    ].join('\n'))
  })
})
