// collector/archive/stage-dir.ts: where staging files live, and what a dead writer left.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { makeStageDir } from '../../../collector/archive/stage-dir.ts'
import { RecordsWriter } from '../../../collector/archive/records-writer.ts'
import { listFiles, outDir } from './helpers.ts'

describe('stage-dir', () => {
  it('removes staging directories a dead process left, and keeps those of live ones', async () => {
    const tmp = outDir()
    const dead = spawnSync(process.execPath, ['-e', '']).pid
    for (const d of [`stage-records-${dead}-aaaaaa`, `stage-losses-${process.pid}-bbbbbb`, 'unrelated']) {
      mkdirSync(join(tmp, d))
      writeFileSync(join(tmp, d, '1.parquet'), 'x')
    }
    const w = await RecordsWriter.open({ out: outDir(), host: 'h', tempDirectory: tmp })
    assert.deepEqual(listFiles(tmp), [`stage-losses-${process.pid}-bbbbbb/1.parquet`, 'unrelated/1.parquet'])
    await w.close()
  })

  it('makes a fresh directory per writer, named by dataset and pid', () => {
    const tmp = join(outDir(), 'not-yet')
    const a = makeStageDir(tmp, 'records')
    const b = makeStageDir(tmp, 'records')
    assert.notEqual(a, b)
    assert.match(a, new RegExp(`/stage-records-${process.pid}-[^/]+$`))
  })
})
