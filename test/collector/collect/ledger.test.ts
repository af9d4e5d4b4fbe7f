import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { Ledger } from '../../../collector/collect/ledger.ts'
import { tempDir } from '../../temp-dir.ts'

const tmpdir = (): string => tempDir('krelay-state-')

const seqs = (n: number, cpu = 0) => [{ channelId: 'c1', cpu, seq: n }]

test('a publish whose file is in place counts, across reloads', () => {
  const dir = tmpdir()
  const file = path.join(dir, 'a.parquet')
  const s = Ledger.load(dir)
  assert.equal(s.durableSeq('records', 'c1', 0), 0)
  s.begin(file, 'records', [...seqs(10), ...seqs(4, 1)])
  fs.writeFileSync(file, 'x')
  s.settle()
  const again = Ledger.load(dir)
  assert.equal(again.durableSeq('records', 'c1', 0), 10)
  assert.equal(again.durableSeq('records', 'c1', 1), 4)
  assert.equal(again.durableSeq('losses', 'c1', 0), 0, 'datasets are apart')
  assert.equal(again.durableSeq('records', 'c2', 0), 0, 'channels are apart')
})

test('a crash after the rename, before settle: the publish counts at load', () => {
  const dir = tmpdir()
  const file = path.join(dir, 'r.parquet')
  Ledger.load(dir).begin(file, 'records', seqs(10))
  fs.writeFileSync(file, 'x')
  assert.equal(Ledger.load(dir).durableSeq('records', 'c1', 0), 10)
})

test('a crash before the rename: nothing counts', () => {
  const dir = tmpdir()
  Ledger.load(dir).begin(path.join(dir, 'r.parquet'), 'records', seqs(10))
  assert.equal(Ledger.load(dir).durableSeq('records', 'c1', 0), 0)
})

test('the next begin settles the previous publish', () => {
  const dir = tmpdir()
  const s = Ledger.load(dir)
  const a = path.join(dir, 'a.parquet')
  s.begin(a, 'records', seqs(10))
  fs.writeFileSync(a, 'x')
  s.begin(path.join(dir, 'b.parquet'), 'records', seqs(20))
  assert.equal(s.durableSeq('records', 'c1', 0), 10)
})

test('durable seqs never move back', () => {
  const dir = tmpdir()
  const s = Ledger.load(dir)
  const a = path.join(dir, 'a.parquet')
  fs.writeFileSync(a, 'x')
  s.begin(a, 'records', seqs(10))
  s.begin(a, 'records', seqs(5))
  s.settle()
  assert.equal(s.durableSeq('records', 'c1', 0), 10)
})

test('a damaged state file is refused with a message that names it', () => {
  const dir = tmpdir()
  fs.writeFileSync(path.join(dir, 'state.json'), '{"version": 1, "dur')
  assert.throws(() => Ledger.load(dir), /state\.json is not valid krelay spool state/)
})

/** A ledger with archived records and losses of channels c1 (an old load) and c2 (the current one). */
function twoChannels (dir: string): Ledger {
  const s = Ledger.load(dir)
  const f = path.join(dir, 'f.parquet')
  fs.writeFileSync(f, 'x')
  s.begin(f, 'records', [{ channelId: 'c1', cpu: 0, seq: 10 }, { channelId: 'c2', cpu: 0, seq: 3 }])
  s.begin(f, 'losses', [{ channelId: 'c1', cpu: 1, seq: 12 }])
  s.settle()
  return s
}
const segmentOf = (channelId: string) => ({ meta: { channelId } })

test('an old channel is forgotten, on disk too, once no spool segment of it remains', () => {
  const dir = tmpdir()
  twoChannels(dir).retainChannels([segmentOf('c2')], 'c2')
  const again = Ledger.load(dir)
  assert.equal(again.durableSeq('records', 'c1', 0), 0)
  assert.equal(again.durableSeq('losses', 'c1', 1), 0)
  assert.equal(again.durableSeq('records', 'c2', 0), 3)
  assert.doesNotMatch(fs.readFileSync(path.join(dir, 'state.json'), 'utf8'), /c1/)
})

test('a channel is kept while a spool segment of it remains, and while it is the current one', () => {
  const dir = tmpdir()
  const s = twoChannels(dir)
  s.retainChannels([segmentOf('c1'), segmentOf('c1')], 'c2')
  assert.equal(s.durableSeq('records', 'c1', 0), 10)
  assert.equal(s.durableSeq('losses', 'c1', 1), 12)
  assert.equal(s.durableSeq('records', 'c2', 0), 3, 'the current channel stays without a segment')
  s.retainChannels([], undefined)
  assert.equal(s.durableSeq('records', 'c2', 0), 0)
  assert.equal(Ledger.load(dir).durableSeq('records', 'c1', 0), 0)
})
