// vm/bundle-tests.ts: a guest test file as one bundle, its modules still where their sources are.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { bundleTests } from '../../../vm/bundle-tests.ts'
import { repoRoot } from '../../../vm/config.ts'

test('a test file bundled: self-contained, import.meta.url its source in the checkout, made once', async () => {
  const dir = fs.mkdtempSync(path.join(repoRoot, 'test', 'vm', 'unit', '.bundle-'))
  try {
    const probe = path.join(dir, 'probe.test.ts')
    // a module of ours that names a file beside it, and a package: both as run through tsx
    fs.writeFileSync(probe, [
      "import { VERSION } from '../../../../cli/version.ts'",
      "import { z } from 'zod'",
      'console.log(JSON.stringify({ url: import.meta.url, VERSION, zod: typeof z.object }))',
    ].join('\n'))
    const [bundle] = await bundleTests([path.relative(repoRoot, probe)])
    const file = path.join(repoRoot, bundle!)
    assert.match(bundle!, /^\.cache\/js\/tests-[0-9a-f]{16}\/test\/vm\/unit\/\.bundle-\w+\/probe\.test\.mjs$/)
    const text = fs.readFileSync(file, 'utf8')
    assert.doesNotMatch(text, /from "zod"|\.\/version\.ts"/, 'zod and cli/version.ts are inside the bundle')
    const ran = JSON.parse(execFileSync(process.execPath, [file], { encoding: 'utf8' })) as Record<string, string>
    assert.equal(ran.url, `file://${probe}`)
    assert.equal(ran.VERSION, JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).version)
    assert.equal(ran.zod, 'function')
    const made = fs.statSync(file).mtimeMs
    assert.deepEqual(await bundleTests([path.relative(repoRoot, probe)]), [bundle])
    assert.equal(fs.statSync(file).mtimeMs, made, 'made once')
    fs.rmSync(path.dirname(path.dirname(path.dirname(path.dirname(path.dirname(file))))), { recursive: true, force: true })
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
