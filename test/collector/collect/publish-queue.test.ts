// The publish queue (publish-queue.ts) over a stand-in archive: publishes run one after
// another, the staged losses after the records, a full disk waited out and tried again,
// any other failure thrown once at the next call. The real archive's publishes are tested
// through the pipeline (pipeline.test.ts) and the collector (disk-full tests).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Archive, Published } from '../../../collector/archive/index.ts'
import type { DiskFullWait } from '../../../collector/disk-full.ts'
import type { Ledger } from '../../../collector/collect/ledger.ts'
import { PublishQueue } from '../../../collector/collect/publish-queue.ts'

interface Stand { archive: Archive, calls: string[], fail: Error[], losses: { stagedRows: number } }

function stand (): Stand {
  const calls: string[] = []
  const fail: Error[] = []
  const losses = { stagedRows: 0 }
  const file = (name: string): Published[] => [{ path: `/nonexistent/${name}.parquet` } as unknown as Published]
  const step = async (name: string, out: Published[]): Promise<Published[]> => {
    calls.push(name)
    await new Promise(resolve => setImmediate(resolve))
    const err = fail.shift()
    if (err !== undefined) throw err
    return out
  }
  const archive = {
    records: {
      due: true,
      sealedWaiting: true,
      publishDue: () => step('due', file('due')),
      publishSealedNow: () => step('sealed', []),
      publishAll: () => step('all', file('all')),
    },
    losses: Object.assign(losses, { publishAll: () => { losses.stagedRows = 0; return step('losses', file('losses')) } }),
    close: () => step('close', []),
  } as unknown as Archive
  return { archive, calls, fail, losses }
}

const ledger = { settle: () => {} } as unknown as Ledger

test('publishes run in order, each followed by the staged losses; a sealed publish that wrote no file leaves them', async () => {
  const s = stand()
  const totals = { files: 0 }
  const q = new PublishQueue(s.archive, ledger, undefined, totals)
  const heard: string[] = []
  q.onPublished = files => heard.push(...files.map(f => f.path))
  s.losses.stagedRows = 3
  q.sealed()
  q.sealed() // one is queued and has not started: not again
  q.due()
  await q.settled()
  assert.deepEqual(s.calls, ['sealed', 'due', 'losses'])
  assert.equal(totals.files, 2)
  assert.deepEqual(heard, ['/nonexistent/due.parquet', '/nonexistent/losses.parquet'])
  assert.equal(q.figures.bytes, 0, 'a file gone already counts 0 bytes')
  assert.notEqual(q.figures.lastAt, null)
})

test('a failure is thrown once, at the next call; a full disk is waited out and the publish tried again', async () => {
  const s = stand()
  const q = new PublishQueue(s.archive, ledger, undefined, { files: 0 })
  s.fail.push(new Error('boom'))
  q.all()
  await assert.rejects(q.settled(), /boom/)
  await q.settled() // thrown once
  q.due()
  await q.settled()
  assert.deepEqual(s.calls, ['all', 'due'])

  const full = stand()
  const paused: string[] = []
  const wait = { pause: async (err: Error) => { paused.push(err.message) }, resumed: () => paused.push('resumed') } as unknown as DiskFullWait
  const q2 = new PublishQueue(full.archive, ledger, wait, { files: 0 })
  full.fail.push(Object.assign(new Error('no space'), { code: 'ENOSPC' }))
  q2.all()
  await q2.settled()
  assert.deepEqual(full.calls, ['all', 'all'])
  assert.deepEqual(paused, ['no space', 'resumed'])
})
