// Files and directories the collector creates get the configured mode whatever the umask,
// and are never created through a symlink.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { chmodFileSync, createFileSync, dirMode, makeDirSync, setFileMode, DEFAULT_FILE_MODE } from '../../collector/file-mode.ts'
import { tempDir } from '../temp-dir.ts'

const tmp = (): string => tempDir('krelay-mode-')

const mode = (p: string): number => fs.lstatSync(p).mode & 0o7777

for (const umask of [0, 0o022, 0o077]) {
  test(`under umask 0${umask.toString(8)}: files 0640, directories 0750 (and --file-mode 0600: 0700)`, () => {
    const old = process.umask(umask)
    try {
      const dir = tmp()
      setFileMode(DEFAULT_FILE_MODE)
      makeDirSync(path.join(dir, 'a/b'))
      assert.equal(mode(path.join(dir, 'a')), 0o750)
      assert.equal(mode(path.join(dir, 'a/b')), 0o750)
      fs.closeSync(createFileSync(path.join(dir, 'a/b/f')))
      assert.equal(mode(path.join(dir, 'a/b/f')), 0o640)
      fs.writeFileSync(path.join(dir, 'g'), 'x', { mode: 0o666 })
      chmodFileSync(path.join(dir, 'g'))
      assert.equal(mode(path.join(dir, 'g')), 0o640)
      setFileMode(0o600)
      assert.equal(dirMode(), 0o700)
      makeDirSync(path.join(dir, 'c'))
      fs.closeSync(createFileSync(path.join(dir, 'c/f')))
      assert.equal(mode(path.join(dir, 'c')), 0o700)
      assert.equal(mode(path.join(dir, 'c/f')), 0o600)
      makeDirSync(dir) // an existing directory keeps its mode
      assert.equal(mode(dir), 0o700) // as mkdtemp made it
    } finally {
      process.umask(old)
      setFileMode(DEFAULT_FILE_MODE)
    }
  })
}

test('a file is never created through a symlink planted under its name, nor over a file there', () => {
  const dir = tmp()
  const target = path.join(dir, 'target')
  fs.writeFileSync(target, 'precious')
  fs.symlinkSync(target, path.join(dir, 'planted'))
  assert.throws(() => createFileSync(path.join(dir, 'planted')), { code: 'EEXIST' })
  assert.throws(() => chmodFileSync(path.join(dir, 'planted')), { code: 'ELOOP' })
  fs.symlinkSync(path.join(dir, 'nowhere'), path.join(dir, 'dangling'))
  assert.throws(() => createFileSync(path.join(dir, 'dangling')), { code: 'EEXIST' })
  assert.equal(fs.existsSync(path.join(dir, 'nowhere')), false, 'the dangling link\'s target was not created')
  assert.equal(fs.readFileSync(target, 'utf8'), 'precious')
  assert.equal(mode(target), 0o644 & ~process.umask())
})

test('setFileMode refuses x bits and values out of range', () => {
  assert.throws(() => setFileMode(0o750), /gives x to files/)
  assert.throws(() => setFileMode(0o1000), /not 0\.\.0777/)
  assert.throws(() => setFileMode(-1), /not 0\.\.0777/)
})
