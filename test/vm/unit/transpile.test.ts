// vm/transpile.ts: the krelay command as JavaScript, one bundle per thread, made once per content.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import { isBuiltin } from 'node:module'
import path from 'node:path'
import { test } from 'node:test'
import { ENTRIES, EXTERNAL, transpileCommand } from '../../../vm/transpile.ts'
import { VERSION } from '../../../cli/version.ts'

/** What a bundle loads at run time: import, import() and require() of a string. */
function loads (text: string): string[] {
  return [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\(\s*)"([@\w./:-]+)"/g)].map(m => m[1]!)
}

const external = (spec: string): boolean =>
  EXTERNAL.some(e => e.endsWith('*') ? spec.startsWith(e.slice(0, -1)) : spec === e || spec.startsWith(`${e}/`))

test('the transpiled tree: a bundle per thread that loads only node and the native packages, the same answers as bin/krelay.js, made once', async () => {
  const bin = await transpileCommand()
  const root = path.dirname(path.dirname(bin))
  assert.equal(fs.statSync(root).mode & 0o777, 0o755, 'readable by the guest tests that run as nobody')
  for (const entry of ENTRIES) {
    const text = fs.readFileSync(path.join(root, entry.replace(/\.ts$/, '.js')), 'utf8')
    const specs = loads(text)
    assert.ok(specs.length > 5, `${entry}: ${specs.length} loads`)
    for (const s of specs) assert.ok(isBuiltin(s) || external(s), `${entry} loads ${s} at run time: not bundled, not a native package`)
    assert.doesNotMatch(text, /new URL\("[^"]*\.ts"/, `${entry} still names a .ts module`)
  }
  // the worker's entry, where the archiver (bundled into cli/main.js) looks for it
  assert.match(fs.readFileSync(path.join(root, 'cli', 'main.js'), 'utf8'), /new URL\("\.\/archive-worker\.js", new URL\("\.\.\/collector\/collect\/archiver\.js", import\.meta\.url\)\.href\)/)
  assert.equal(execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' }).trim(), VERSION)
  const help = (b: string): string => execFileSync(process.execPath, [b, 'collect', '--help'], { encoding: 'utf8' })
  assert.equal(help(bin), help(path.resolve('bin', 'krelay.js')))
  const flags = (text: string): string[] => [...text.matchAll(/setFlagsFromString\(('[^']*')\)/g)].map(m => m[1]!)
  const binFlags = flags(fs.readFileSync('bin/krelay.js', 'utf8'))
  assert.ok(binFlags.length > 0)
  assert.deepEqual(flags(fs.readFileSync(bin, 'utf8')), binFlags, 'the V8 flags of bin/krelay.js')
  assert.equal(await transpileCommand(), bin, 'the same sources give the same tree')
})
