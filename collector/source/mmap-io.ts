// @riaskov/mmap-io's native binding. Its package entry finds the binary with
// @mapbox/node-pre-gyp, which loads about 100 CommonJS files (semver, npmlog, ...) to work out
// a path: seconds at every start under emulation, for one string. The path follows the
// package's own "binary.module_path" (build/binding/Release/node-v<abi>-<platform>-<arch>/),
// which its install step builds; where that file is not, the package entry finds it.
// The collector uses only map() and constants, none of the entry's JavaScript wrappers.
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import type mmapModule from '@riaskov/mmap-io'

type MmapIo = typeof mmapModule.default

const require = createRequire(import.meta.url)

function load (): MmapIo {
  const dir = path.dirname(require.resolve('@riaskov/mmap-io/package.json'))
  const binary = path.join(dir, 'build', 'binding', 'Release', `node-v${process.versions.modules}-${process.platform}-${process.arch}`, 'mmap_io.node')
  if (fs.existsSync(binary)) return require(binary) as MmapIo
  // CommonJS: module.exports is the binding itself (its d.ts says `export default`)
  const loaded = require('@riaskov/mmap-io') as MmapIo & { default?: MmapIo }
  return loaded.default ?? loaded
}

export const mmap: MmapIo = load()
