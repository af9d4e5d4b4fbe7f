import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { publishedFile, scanArchive } from '../../../cli/tail/archive-files.ts'
import { tempDir } from '../../temp-dir.ts'

test('only final *.parquet names under <dataset>/host=/date=/hour= count; .partial and dot directories never', () => {
  const root = tempDir('krelay-archive-files-')
  const put = (rel: string): string => {
    const p = path.join(root, rel)
    fs.mkdirSync(path.dirname(p), { recursive: true })
    fs.writeFileSync(p, '')
    return p
  }
  const b = put('records/host=b/date=2025-11-25/hour=01/20251125T010000.000000002-bbbbbbbb.parquet')
  const a = put('records/host=a/date=2025-11-25/hour=01/20251125T010000.000000001-aaaaaaaa.parquet')
  const l = put('losses/host=a/date=2025-11-25/hour=01/20251125T010000.000000003-cccccccc.parquet')
  put('records/host=a/date=2025-11-25/hour=01/.20251125T010000.000000004-dddddddd.parquet.partial')
  put('.spool/records/host=a/date=2025-11-25/hour=01/x.parquet')
  put('records/host=a/notes.parquet')
  assert.deepEqual(publishedFile(root, a), { dataset: 'records', host: 'a', path: a, name: path.basename(a) })
  assert.deepEqual(scanArchive(root).map(f => [f.dataset, f.host, f.path]), [['records', 'a', a], ['records', 'b', b], ['losses', 'a', l]])
})
