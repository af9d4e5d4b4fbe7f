// The spool and archive directories are refused when someone else could plant files in them.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { checkDataDir, UnsafeDirError } from '../../collector/data-dir.ts'
import { tempDir } from '../temp-dir.ts'

const tmp = (): string => tempDir('krelay-dir-')

const refused = (re: RegExp) => (err: unknown) => err instanceof UnsafeDirError && re.test(err.message)

test('an own directory, a missing one and an own symlink to an own directory are accepted', () => {
  const dir = tmp()
  checkDataDir(dir, '--out')
  checkDataDir(path.join(dir, 'missing'), '--spool')
  fs.mkdirSync(path.join(dir, 'real'))
  fs.symlinkSync(path.join(dir, 'real'), path.join(dir, 'link'))
  checkDataDir(path.join(dir, 'link'), '--spool')
})

test('a world-writable directory is refused, naming it and its mode', () => {
  const dir = tmp()
  fs.chmodSync(dir, 0o777)
  assert.throws(() => checkDataDir(dir, '--spool'), refused(new RegExp(`^--spool ${dir} is world-writable \\(mode 0777\\)`)))
  fs.chmodSync(dir, 0o1777)
  assert.throws(() => checkDataDir(dir, '--out'), refused(/is world-writable \(mode 01777\)/))
})

test('a file is refused: not a directory', () => {
  const dir = tmp()
  fs.writeFileSync(path.join(dir, 'f'), '')
  assert.throws(() => checkDataDir(path.join(dir, 'f'), '--out'), refused(/is not a directory$/))
})

test('a symlink owned by another user, and a directory owned by another user, are refused', (t) => {
  if (process.geteuid?.() !== 0) {
    t.skip('needs root to give a file to another user')
    return
  }
  const dir = tmp()
  fs.mkdirSync(path.join(dir, 'real'))
  fs.symlinkSync(path.join(dir, 'real'), path.join(dir, 'link'))
  fs.lchownSync(path.join(dir, 'link'), 65534, 65534)
  assert.throws(() => checkDataDir(path.join(dir, 'link'), '--spool'), refused(/is a symlink owned by uid 65534 \(not root, not this user\): the collector does not follow it$/))
  fs.chownSync(path.join(dir, 'real'), 65534, 65534)
  assert.throws(() => checkDataDir(path.join(dir, 'real'), '--out'), refused(/is owned by uid 65534, not by root or this user/))
})
