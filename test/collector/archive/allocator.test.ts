// DuckDB's allocator options (collector/archive/allocator.ts): set for native code on
// the main thread, never over the user's, and before anything loads libduckdb: the
// modules that set them must not load it on import.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { DUCKDB_MALLOC_CONF, configureDuckdbAllocator } from '../../../collector/archive/allocator.ts'

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
  it('sets DUCKDB_JE_MALLOC_CONF to no decay on the main thread', () => {
    const env: NodeJS.ProcessEnv = {}
    configureDuckdbAllocator(env, true)
    assert.equal(env.DUCKDB_JE_MALLOC_CONF, 'dirty_decay_ms:0,muzzy_decay_ms:0')
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
