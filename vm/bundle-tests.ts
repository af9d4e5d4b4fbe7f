// The guest's test files as one bundle each, for the suite (run-suite.ts). Run through tsx,
// each test file cost the guest 10-15 s before its first test (tsx's loader, then its
// imports one file at a time: @duckdb/node-api's 183 among them), about 300 s of a 1100 s
// run per kernel. The bundles are made on the host, with the command's (transpile.ts), into
// .cache/js/tests-<hash of the sources and test/>/; each module's import.meta.url stays the
// URL of its source in the checkout, so the tests find what they find run through tsx.
import fs from 'node:fs'
import path from 'node:path'
import { build } from 'esbuild'
import { sourceFiles, treeDir } from '../bin/source-tree.js'
import { repoRoot } from './config.ts'
import { bundleOptions, modulePlaces } from './transpile.ts'

/** The files under test/, relative to the checkout. */
function testFiles (): string[] {
  return fs.readdirSync(path.join(repoRoot, 'test'), { recursive: true, withFileTypes: true })
    .filter(e => e.isFile())
    .map(e => path.relative(repoRoot, path.join(e.parentPath, e.name)))
}

/**
 * The bundles of `files` (test files, relative to the checkout), made if missing, each
 * written beside and renamed into place (two kernels may ask at once). Returns their paths,
 * relative to the checkout, in the order given.
 */
export async function bundleTests (files: readonly string[]): Promise<string[]> {
  const tree = path.relative(repoRoot, treeDir(repoRoot, [...sourceFiles(repoRoot), ...testFiles()].sort()))
  const dir = path.join(path.dirname(tree), `tests-${path.basename(tree)}`)
  const out: string[] = []
  for (const file of files) {
    const bundle = path.join(dir, file.replace(/\.ts$/, '.mjs'))
    out.push(bundle)
    if (fs.existsSync(path.join(repoRoot, bundle))) continue
    const tmp = `${bundle}.tmp-${process.pid}`
    await build(bundleOptions(file, tmp, modulePlaces(bundle, m => m, false)))
    fs.chmodSync(path.join(repoRoot, tmp), 0o644)
    fs.renameSync(path.join(repoRoot, tmp), path.join(repoRoot, bundle))
  }
  return out
}
