// loadConfig: flag > KRELAY_* > file > default, value by value, with the origin of each; the
// defaults that depend on other values (spool.dir under archive.out, host); and a second load
// of the same sources (what SIGHUP does) sees the file's new values but keeps flags and env.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ConfigError, loadConfig, type ConfigSources } from '../../../cli/config/load.ts'
import { UsageError } from '../../../cli/errors.ts'
import { tempDir } from '../../temp-dir.ts'

const dir = tempDir('krelay-config-load-')
const file = path.join(dir, 'krelay.toml')

test('each value from the first source that has it, and that source as its origin', () => {
  fs.writeFileSync(file, '[archive]\nout = "/file"\nfile_size_mib = 1\nfile_age_seconds = 2\nfile_mode = "0600"\n[spool]\nbudget_mib = 3\n')
  const src: ConfigSources = {
    file,
    env: { KRELAY_ARCHIVE_FILE_SIZE_MIB: '10', KRELAY_ARCHIVE_FILE_AGE_SECONDS: '20', KRELAY_FOLLOW: 'yes' },
    flags: { fileSize: '100', host: 'h', follow: undefined },
  }
  const { config, origins, file: read } = loadConfig(src)
  assert.equal(read, file)
  assert.equal(config.archive.file_size_mib, 100)
  assert.equal(origins['archive.file_size_mib'], 'flag')
  assert.equal(config.archive.file_age_seconds, 20)
  assert.equal(origins['archive.file_age_seconds'], 'env')
  assert.equal(config.spool.budget_mib, 3)
  assert.equal(origins['spool.budget_mib'], 'file')
  assert.equal(config.archive.file_mode, 0o600)
  assert.equal(config.follow, true, 'yes in the environment')
  assert.equal(origins.follow, 'env')
  assert.equal(config.spool.segment_size_mib, 64)
  assert.equal(origins['spool.segment_size_mib'], 'default')
  assert.equal(config.spool.dir, '/file/.spool', 'under the file\'s archive.out')
  assert.equal(origins['spool.dir'], 'default')
  assert.equal(config.level, undefined)
  assert.equal(origins.level, 'default')
})

test('switches: false in the environment, true again by a flag; the text forms of true and false', () => {
  const load = (env: NodeJS.ProcessEnv, flags: Record<string, unknown> = {}): boolean =>
    loadConfig({ env: { KRELAY_ARCHIVE_OUT: '/x', ...env }, flags: { host: 'h', ...flags } }).config.live.enabled
  for (const off of ['false', '0', 'no', 'off']) assert.equal(load({ KRELAY_LIVE_ENABLED: off }), false, off)
  for (const on of ['true', '1', 'yes', 'on']) assert.equal(load({ KRELAY_LIVE_ENABLED: on }), true, on)
  assert.equal(load({ KRELAY_LIVE_ENABLED: 'false' }, { live: true }), true)
  assert.equal(load({}, { live: false }), false)
})

test('host defaults to this machine\'s name; KRELAY_CONFIG names the file when --config does not', () => {
  fs.writeFileSync(file, '[archive]\nout = "/env-file"\n')
  const loaded = loadConfig({ env: { KRELAY_CONFIG: file }, flags: {} })
  assert.equal(loaded.config.host, os.hostname())
  assert.equal(loaded.config.archive.out, '/env-file')
  assert.equal(loaded.file, file)
  assert.equal(loadConfig({ env: {}, flags: { out: '/x' } }).file, undefined)
})

test('a second load of the same sources (SIGHUP) reads the file again; flags and env still win', () => {
  fs.writeFileSync(file, '[archive]\nout = "/x"\nfile_size_mib = 8\n[spool]\nfsync = 10\n')
  const src: ConfigSources = { file, env: { KRELAY_SPOOL_FSYNC: 'always' }, flags: { host: 'h', fileAge: '5' } }
  const first = loadConfig(src)
  fs.writeFileSync(file, '[archive]\nout = "/x"\nfile_size_mib = 16\nfile_age_seconds = 99\n[spool]\nfsync = 20\n')
  const second = loadConfig(src)
  assert.equal(first.config.archive.file_size_mib, 8)
  assert.equal(second.config.archive.file_size_mib, 16)
  assert.equal(second.config.archive.file_age_seconds, 5, 'the flag')
  assert.equal(second.config.spool.fsync, 'always', 'the environment')
  fs.writeFileSync(file, '[archive]\nout = "/x"\nfile_size_mib = 0\n')
  assert.throws(() => loadConfig(src), (err: unknown) => err instanceof ConfigError && err instanceof UsageError &&
    err.message === `${file}: archive.file_size_mib: 0 is not allowed: a positive number of MiB, at most 1048576`)
})

test('a bad value in the file is refused even where a flag overrides it: nothing invalid passes', () => {
  fs.writeFileSync(file, '[archive]\nout = "/x"\nfile_size_mib = "big"\n')
  assert.throws(() => loadConfig({ file, env: {}, flags: { fileSize: '1', host: 'h' } }), /archive\.file_size_mib: "big" is not allowed/)
  assert.throws(() => loadConfig({ env: { KRELAY_ARCHIVE_FILE_SIZE_MIB: 'big' }, flags: { out: '/x', fileSize: '1', host: 'h' } }), /^ConfigError: KRELAY_ARCHIVE_FILE_SIZE_MIB: /)
})

test('a variable with a section\'s prefix that is no field\'s is refused, with the nearest name', () => {
  const load = (env: NodeJS.ProcessEnv): unknown => loadConfig({ env, flags: { out: '/x', host: 'h' } })
  assert.throws(() => load({ KRELAY_ARCHIVE_FILESIZE_MIB: '64' }), (err: unknown) => err instanceof ConfigError &&
    err.message === 'KRELAY_ARCHIVE_FILESIZE_MIB: unknown variable; did you mean KRELAY_ARCHIVE_FILE_SIZE_MIB?')
  assert.throws(() => load({ KRELAY_SPOOL_WHATEVER_ELSE_ENTIRELY: '1' }), /^ConfigError: KRELAY_SPOOL_WHATEVER_ELSE_ENTIRELY: unknown variable$/)
  load({ KRELAY_DEBUG: '1', KRELAY_VM_LIVE: '1', KRELAY_SOAK_MINUTES: '3' })
})
