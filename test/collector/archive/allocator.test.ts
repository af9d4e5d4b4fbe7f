// DuckDB's allocator options (collector/archive/allocator.ts): set for native code on
// the main thread, never over the user's.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DUCKDB_MALLOC_CONF, returnFreedMemory } from '../../../collector/archive/allocator.ts'

describe('returnFreedMemory', () => {
  it('sets DUCKDB_JE_MALLOC_CONF to no decay on the main thread', () => {
    const env: NodeJS.ProcessEnv = {}
    returnFreedMemory(env, true)
    assert.equal(env.DUCKDB_JE_MALLOC_CONF, 'dirty_decay_ms:0,muzzy_decay_ms:0')
    assert.equal(DUCKDB_MALLOC_CONF, env.DUCKDB_JE_MALLOC_CONF)
  })

  it('keeps what the user set', () => {
    const env: NodeJS.ProcessEnv = { DUCKDB_JE_MALLOC_CONF: 'narenas:2' }
    returnFreedMemory(env, true)
    assert.equal(env.DUCKDB_JE_MALLOC_CONF, 'narenas:2')
  })

  it('leaves a worker thread\'s env alone: native code would not see it', () => {
    const env: NodeJS.ProcessEnv = {}
    returnFreedMemory(env, false)
    assert.equal(env.DUCKDB_JE_MALLOC_CONF, undefined)
  })
})
