// The end of every VM benchmark: the guest's output shown, a failed run reported with its
// run dir (kept for a look), else the guest's JSON result read and the run dir removed.
import { readFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import type { VmRunResult } from '../vm/vm.ts'

export async function guestResult<T> (r: VmRunResult, resultFile: string): Promise<T> {
  process.stdout.write(r.output)
  if (!r.ok) {
    console.error(`krelay-vm: FAIL: ${r.reason}; run dir ${r.runDir}`)
    process.exit(1)
  }
  const res = JSON.parse(readFileSync(path.join(r.resultsDir, resultFile), 'utf8')) as T
  await rm(r.runDir, { recursive: true, force: true })
  return res
}
