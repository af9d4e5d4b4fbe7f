// The krelay command's sources and the folder of their transpiled tree,
// .cache/js/<hash of their contents>/ (vm/transpile.ts makes it; bin/krelay.js runs it).
// Plain JavaScript: bin/krelay.js reads it before anything could load TypeScript.
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

/** The folders the command's modules live in (cli imports vm/config.ts for `demo`). */
export const SOURCES = ['bin', 'cli', 'collector', 'formats', 'offline', 'vm']

/**
 * @param {string} root
 * @param {string} dir
 * @returns {string[]}
 */
function filesUnder (root, dir) {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name)
    return e.isDirectory() ? filesUnder(root, rel) : e.isFile() ? [rel] : []
  })
}

/**
 * The command's files, relative to the checkout `root`, sorted.
 * @param {string} root
 * @returns {string[]}
 */
export function sourceFiles (root) {
  return SOURCES.flatMap(d => filesUnder(root, d)).concat('package.json', 'tsconfig.json').sort()
}

/** Where the trees are, under the checkout. */
const TREES = path.join('.cache', 'js')

/**
 * Where the JavaScript of `source` (a checkout path, e.g. cli/demo/guest.ts) goes in `tree`.
 * @param {string} tree
 * @param {string} source
 * @returns {string}
 */
export function treeFile (tree, source) {
  return path.join(tree, source.replace(/\.ts$/, '.js'))
}

/**
 * The bundle of entry `source` in the tree whose bin/krelay.js is `bin`.
 * @param {string} bin
 * @param {string} source
 * @returns {string}
 */
export function treeEntry (bin, source) {
  return treeFile(path.dirname(path.dirname(bin)), source)
}

/**
 * The checkout a folder stands for: `dir` itself, or, when `dir` is a transpiled tree
 * (<checkout>/.cache/js/<hash>), the checkout it was made from.
 * @param {string} dir
 * @returns {string}
 */
export function checkoutOf (dir) {
  const trees = path.dirname(dir)
  const checkout = path.dirname(path.dirname(trees))
  return path.join(checkout, TREES) === trees ? checkout : dir
}

/**
 * The folder of the tree transpiled from `files` as they are now: named by a hash of their
 * names and contents, so that a change to any of them names another tree.
 * @param {string} root
 * @param {readonly string[]} files
 * @returns {string}
 */
export function treeDir (root, files) {
  const hash = createHash('sha256')
  for (const f of files) hash.update(f).update('\0').update(fs.readFileSync(path.join(root, f))).update('\0')
  return path.join(root, TREES, hash.digest('hex').slice(0, 16))
}
