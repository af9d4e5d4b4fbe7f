import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import { lowerThreadPriority } from '../../../collector/collect/thread-priority.ts'

const ownTid = (): number => Number(path.basename(fs.readlinkSync('/proc/thread-self')))

test('lowerThreadPriority lowers the calling thread only, and the threads it then creates', async () => {
  const url = new URL('../../../collector/collect/thread-priority.ts', import.meta.url).href
  // workers do not inherit tsx's loader: register it there (as archiver.ts does)
  const tsx = import.meta.resolve('tsx/esm/api')
  // a worker lowers its own priority, then starts a thread of its own (a worker in the worker)
  const code = `
    const { parentPort, Worker } = require('node:worker_threads')
    const fs = require('node:fs')
    const os = require('node:os')
    import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(url)}) }).then(({ lowerThreadPriority }) => {
      const tid = lowerThreadPriority(7)
      const child = new Worker("const fs = require('node:fs'); require('node:worker_threads').parentPort.postMessage(Number(fs.readlinkSync('/proc/thread-self').split('/').pop()))", { eval: true })
      child.once('message', (childTid) => {
        parentPort.postMessage({ tid, nice: os.getPriority(tid), childNice: os.getPriority(childTid) })
        child.terminate()
      })
    })`
  const before = os.getPriority(ownTid())
  const worker = new Worker(code, { eval: true })
  const got = await new Promise<{ tid: number, nice: number, childNice: number }>((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  })
  await worker.terminate()
  assert.notEqual(got.tid, ownTid())
  assert.equal(got.nice, Math.max(7, before))
  assert.equal(got.childNice, Math.max(7, before), 'a thread started after inherits it')
  assert.equal(os.getPriority(ownTid()), before, 'the calling thread of the test kept its own')
  assert.equal(lowerThreadPriority(before), ownTid(), 'asking for what it has changes nothing')
  assert.equal(os.getPriority(ownTid()), before)
})
