// Temporary directories for a test file, removed when its tests are done.
import { after } from 'node:test'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const made: string[] = []
after(() => { for (const dir of made) fs.rmSync(dir, { recursive: true, force: true }) })

export function tempDir (prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  made.push(dir)
  return dir
}
