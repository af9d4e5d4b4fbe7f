// bin/krelay.js: runs the transpiled tree of the sources as they are (bin/source-tree.js),
// made at the first start after a change, in a copy of the checkout.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { SOURCES, sourceFiles, treeDir } from '../../bin/source-tree.js'
import { VERSION } from '../../cli/version.ts'
import { repoRoot } from '../../vm/config.ts'

describe('bin/krelay.js', () => {
  let copy = ''
  const trees = (): string[] => fs.existsSync(path.join(copy, '.cache', 'js')) ? fs.readdirSync(path.join(copy, '.cache', 'js')).sort() : []
  const krelay = (...args: string[]): string => execFileSync(process.execPath, [path.join(copy, 'bin', 'krelay.js'), ...args], { encoding: 'utf8' })

  before(() => {
    copy = fs.mkdtempSync(path.join(os.tmpdir(), 'krelay-bin-'))
    for (const d of SOURCES) fs.cpSync(path.join(repoRoot, d), path.join(copy, d), { recursive: true })
    for (const f of ['package.json', 'tsconfig.json']) fs.copyFileSync(path.join(repoRoot, f), path.join(copy, f))
    fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(copy, 'node_modules'))
  })
  after(() => fs.rmSync(copy, { recursive: true, force: true }))

  it('makes the tree at its first start and runs it, without tsx', () => {
    assert.deepEqual(trees(), [])
    assert.equal(krelay('--version').trim(), VERSION)
    const tree = treeDir(copy, sourceFiles(copy))
    assert.deepEqual(trees(), [path.basename(tree)])
    assert.ok(fs.existsSync(path.join(tree, 'cli', 'main.js')))
    // what ran was the tree: its bundle, replaced by one that says where it is
    fs.writeFileSync(path.join(tree, 'cli', 'main.js'), 'console.log("from the tree")\n')
    assert.equal(krelay('--version').trim(), 'from the tree')
  })

  it('run as a program, limits glibc\'s malloc to two arenas; `node bin/krelay.js` does not', () => {
    krelay('--version')
    const tree = treeDir(copy, sourceFiles(copy))
    fs.writeFileSync(path.join(tree, 'cli', 'main.js'), 'console.log(String(process.env.MALLOC_ARENA_MAX))\n')
    const env = { ...process.env }
    delete env.MALLOC_ARENA_MAX
    const script = path.join(copy, 'bin', 'krelay.js')
    assert.equal(execFileSync(script, [], { encoding: 'utf8', env }).trim(), '2')
    assert.equal(execFileSync(process.execPath, [script], { encoding: 'utf8', env }).trim(), 'undefined')
  })

  it('makes another tree when a source changes', () => {
    const before = trees()
    fs.appendFileSync(path.join(copy, 'cli', 'version.ts'), '// changed\n')
    assert.equal(krelay('--version').trim(), VERSION)
    const now = trees()
    assert.equal(now.length, before.length + 1)
    assert.ok(now.includes(path.basename(treeDir(copy, sourceFiles(copy)))))
  })

  it('runs the sources through tsx where no tree can be made', () => {
    // a file where the tree's folder would go: mkdir fails
    fs.rmSync(path.join(copy, '.cache'), { recursive: true, force: true })
    fs.writeFileSync(path.join(copy, '.cache'), '')
    fs.appendFileSync(path.join(copy, 'cli', 'version.ts'), '// changed again\n')
    assert.equal(krelay('--version').trim(), VERSION)
    assert.equal(fs.statSync(path.join(copy, '.cache')).isFile(), true)
  })
})
