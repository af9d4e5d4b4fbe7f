// DuckDB's allocator options (collector/archive/allocator.ts): set for native code on
// the main thread, never over the user's, and before anything loads libduckdb: the
// modules that set them must not load it on import.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { DUCKDB_MALLOC_CONF, configureDuckdbAllocator } from '../../../collector/archive/allocator.ts'

const PURGE_CHILD = fileURLToPath(new URL('./purge-child.ts', import.meta.url))
const ALLOCATOR = fileURLToPath(new URL('../../../collector/archive/allocator.ts', import.meta.url))

/** Whether libduckdb is loaded in a new process once it imported `modules` (and, with `duckdb`, @duckdb/node-api). */
function loadedAfterImporting (modules: readonly string[], duckdb = false): boolean {
  const urls = modules.map(m => new URL(m, import.meta.url).href)
  const script = [
    ...urls.map(u => `await import(${JSON.stringify(u)})`),
    duckdb ? 'await import("@duckdb/node-api")' : '',
    `const { duckdbLoaded } = await import(${JSON.stringify(new URL(`file://${ALLOCATOR}`).href)})`,
    'process.stdout.write(String(duckdbLoaded()))',
  ].join('\n')
  return execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' }) === 'true'
}

describe('configureDuckdbAllocator', () => {
  it('sets DUCKDB_JE_MALLOC_CONF to one arena with half a second of decay on the main thread', () => {
    const env: NodeJS.ProcessEnv = {}
    configureDuckdbAllocator(env, true)
    assert.equal(env.DUCKDB_JE_MALLOC_CONF, 'narenas:1,dirty_decay_ms:500,muzzy_decay_ms:0')
    assert.equal(DUCKDB_MALLOC_CONF, env.DUCKDB_JE_MALLOC_CONF)
  })

  it('keeps what the user set', () => {
    const env: NodeJS.ProcessEnv = { DUCKDB_JE_MALLOC_CONF: 'narenas:2' }
    configureDuckdbAllocator(env, true)
    assert.equal(env.DUCKDB_JE_MALLOC_CONF, 'narenas:2')
  })

  it('leaves a worker thread\'s env alone: native code would not see it', () => {
    const env: NodeJS.ProcessEnv = {}
    configureDuckdbAllocator(env, false)
    assert.equal(env.DUCKDB_JE_MALLOC_CONF, undefined)
  })
})

describe('duckdbLoaded', { skip: process.platform !== 'linux' && 'reads /proc/self/maps' }, () => {
  it('tells when @duckdb/node-api was imported', () => {
    assert.equal(loadedAfterImporting([], true), true)
    assert.equal(loadedAfterImporting([]), false)
  })

  it('is false after importing the CLI and the collector, which set the options before DuckDB loads', () => {
    assert.equal(loadedAfterImporting(['../../../cli/program.ts', '../../../cli/archive.ts', '../../../collector/collect/collect.ts']), false)
  })
})

describe('the collector\'s DuckDB', { skip: process.platform !== 'linux' && 'jemalloc\'s background thread' }, () => {
  it('gives back the memory a publish freed within seconds, also after a compaction round closed its instance', () => {
    // the decay keeps freed pages for reuse, and jemalloc's background thread returns them
    // once idle; DuckDB turns that thread off when any instance closes, and each publish
    // turns it on again. Without that, the RSS stayed where the publish left it.
    const r = JSON.parse(execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', PURGE_CHILD, '8000'], { encoding: 'utf8' })) as
      { compacted: boolean, rows: number, after: number, settled: number }
    assert.equal(r.compacted, true, 'the compactor ran a round first')
    assert.equal(r.rows, 1_500_000)
    const MiB = 2 ** 20
    assert.ok(r.after - r.settled >= 12 * MiB,
      `RSS ${(r.after / MiB).toFixed(0)} MiB after the publish, still ${(r.settled / MiB).toFixed(0)} MiB at least in the 8 s after it`)
  })
})
