// vm/transpile.ts: the krelay command as JavaScript for the guest, made once per content.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { transpileCommand } from '../../../vm/transpile.ts'
import { VERSION } from '../../../cli/version.ts'

function jsFiles (dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    if (e.name === 'node_modules') return []
    return e.isDirectory() ? jsFiles(p) : e.name.endsWith('.js') ? [p] : []
  })
}

test('the transpiled tree: no .ts left to import, the same answers as bin/krelay.js, made once', async () => {
  const bin = await transpileCommand()
  const root = path.dirname(path.dirname(bin))
  assert.equal(fs.statSync(root).mode & 0o777, 0o755, 'readable by the guest tests that run as nobody')
  const files = jsFiles(root)
  assert.ok(files.length > 100, `${files.length} modules`)
  for (const f of files) {
    const text = fs.readFileSync(f, 'utf8')
    assert.doesNotMatch(text, /(["'])\.{1,2}\/[^"'\n]*\.ts\1/, `${f} still names a .ts module`)
    const relative = [...text.matchAll(/(?:from |import\()"(\.{1,2}\/[^"]+)"/g)].map(m => m[1]!)
    for (const r of relative) assert.ok(fs.existsSync(path.resolve(path.dirname(f), r)), `${f}: ${r} does not exist`)
  }
  assert.equal(execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' }).trim(), VERSION)
  const help = (b: string): string => execFileSync(process.execPath, [b, 'collect', '--help'], { encoding: 'utf8' })
  assert.equal(help(bin), help(path.resolve('bin', 'krelay.js')))
  const flags = (text: string): string[] => [...text.matchAll(/setFlagsFromString\(('[^']*')\)/g)].map(m => m[1]!)
  const binFlags = flags(fs.readFileSync('bin/krelay.js', 'utf8'))
  assert.ok(binFlags.length > 0)
  assert.deepEqual(flags(fs.readFileSync(bin, 'utf8')), binFlags, 'the V8 flags of bin/krelay.js')
  assert.equal(await transpileCommand(), bin, 'the same sources give the same tree')
})
