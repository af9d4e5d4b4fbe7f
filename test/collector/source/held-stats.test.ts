import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { HeldStats } from '../../../collector/source/held-stats.ts'
import { checkChannelId } from '../../../collector/source/channel.ts'
import { ChannelError, DEFAULT_SYSTEM_PATHS } from '../../../collector/source/errors.ts'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'krelay-held-stats-'))
after(() => fs.rmSync(dir, { recursive: true, force: true }))
const info = path.join(dir, 'info')
const stats = path.join(dir, 'stats')
const ID = '9f3c2a71d04b5e86'
const check = (): void => checkChannelId(info, ID, DEFAULT_SYSTEM_PATHS)
const held = (): HeldStats => new HeldStats(stats, DEFAULT_SYSTEM_PATHS, check)

test('reads the text as it is now through the descriptor it opened first', () => {
  fs.writeFileSync(info, `abi_version 1\nchannel_id ${ID}\n`)
  fs.writeFileSync(stats, 'a\n')
  const s = held()
  assert.equal(s.read(), 'a\n')
  fs.writeFileSync(stats, 'bb\n')
  assert.equal(s.read(), 'bb\n', 'read again from offset 0')
  // a file put in its place is another one (a module loaded again has new files)
  fs.renameSync(stats, `${stats}.old`)
  fs.writeFileSync(stats, 'new\n')
  assert.equal(s.read(), 'bb\n')
  s.close()
  assert.equal(s.read(), 'new\n', 'close() and the next read opens the file again')
  s.close()
})

test('a table longer than its buffer is read whole in one read', () => {
  fs.writeFileSync(info, `abi_version 1\nchannel_id ${ID}\n`)
  const text = 'cpu online written dropped too_big filtered produced consumed watermark_ns\n' +
    Array.from({ length: 1000 }, (_, cpu) => `${cpu} 1 200000 0 0 0 12 12 84123456789\n`).join('')
  assert.ok(text.length > 32 * 1024)
  fs.writeFileSync(stats, text)
  const s = held()
  assert.equal(s.read(), text)
  s.close()
})

test('opening it when info names another channel (the module was loaded again) is refused', () => {
  fs.writeFileSync(info, 'abi_version 1\nchannel_id 0000000000000001\n')
  fs.writeFileSync(stats, 'a\n')
  const s = held()
  assert.throws(() => s.read(), (err: Error) => err instanceof ChannelError && err.code === 'not-a-channel' && /loaded again/.test(err.message))
  fs.writeFileSync(info, `abi_version 1\nchannel_id ${ID}\n`)
  assert.equal(s.read(), 'a\n')
  s.close()
})

test('a missing file is a channel that is gone', () => {
  const s = new HeldStats(path.join(dir, 'nothing'), DEFAULT_SYSTEM_PATHS, check)
  assert.throws(() => s.read(), (err: Error) => err instanceof ChannelError && err.code === 'not-a-channel')
})
