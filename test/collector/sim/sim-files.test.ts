// The simulator's info and stats as another process reads them while they change (a
// collector on the simulator runs in its own process), and its wait FIFO.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { replaceFile, SimWait } from '../../../collector/sim/sim-files.ts'

// where the simulator puts its files by default (relay-sim.ts): tmpfs
const dir = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'krelay-sim-files-'))
after(() => fs.rmSync(dir, { recursive: true, force: true }))

// Two versions of different lengths: a torn read (new head, old tail, or half of either)
// equals neither.
const SHORT = 'cpu online written dropped too_big filtered produced consumed watermark_ns\n0 1 5 0 0 0 1 1 7\n'
const LONG = SHORT + Array.from({ length: 64 }, (_, i) => `${i + 1} 1 123456789 0 0 0 4242 4242 9007199254740993\n`).join('')

test('a reader in another process sees every replaced version whole, never a mix', async () => {
  const file = path.join(dir, 'stats')
  replaceFile(dir, 'stats', SHORT)
  // reads as fast as it can until told to stop; prints how many reads and any text that is neither version
  const child = spawn(process.execPath, ['-e', `
    const fs = require('fs')
    const ok = new Set([${JSON.stringify(SHORT)}, ${JSON.stringify(LONG)}])
    let reads = 0, torn = 0, sample = ''
    let stop = false
    process.stdin.on('data', () => { stop = true })
    const loop = () => {
      for (let i = 0; i < 200; i++) {
        const text = fs.readFileSync(${JSON.stringify(file)}, 'latin1')
        reads++
        if (!ok.has(text)) { torn++; sample = text.slice(0, 200) }
      }
      if (stop) { console.log(JSON.stringify({ reads, torn, sample })); process.exit(0) }
      else setImmediate(loop)
    }
    console.log('reading')
    loop()
  `], { stdio: ['pipe', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  // the writes start once the child reads: a node process may take a second to start on a loaded host
  for (let i = 0; i < 3000 && !out.includes('reading\n'); i++) await new Promise((resolve) => setTimeout(resolve, 5))
  const deadline = Date.now() + 1500
  let writes = 0
  while (Date.now() < deadline) {
    for (let i = 0; i < 50; i++) replaceFile(dir, 'stats', (writes++ % 2) === 0 ? LONG : SHORT)
    await new Promise((resolve) => setImmediate(resolve))
  }
  child.stdin.write('stop\n')
  await new Promise((resolve) => child.once('exit', resolve))
  const { reads, torn, sample } = JSON.parse(out.replace('reading\n', '')) as { reads: number, torn: number, sample: string }
  assert.ok(reads > 1000 && writes > 1000, `too little overlap to tell: ${reads} reads, ${writes} writes`)
  assert.equal(torn, 0, `${torn} of ${reads} reads were torn, e.g. ${JSON.stringify(sample)}`)
  assert.deepEqual(fs.readdirSync(dir).filter((n) => n.startsWith('.')), [], 'no temporary file left')
})

test('SimWait: a FIFO with a byte per event; a read blocks until one comes; close wakes a reader one last time', async () => {
  const wait = new SimWait(dir)
  assert.ok(fs.statSync(wait.path).isFIFO())
  const fd = fs.openSync(wait.path, 'r+')
  const buf = Buffer.alloc(64)
  let blocked = true
  const read = new Promise<number>((resolve, reject) => fs.read(fd, buf, 0, 64, null, (err, bytes) => {
    blocked = false
    if (err) reject(err)
    else resolve(bytes)
  }))
  await new Promise((resolve) => setTimeout(resolve, 50))
  assert.ok(blocked, 'blocked: nothing happened')
  wait.notify()
  wait.notify()
  assert.ok(await read >= 1)
  for (let i = 0; i < 100_000; i++) wait.notify() // past the FIFO's capacity: never blocks
  wait.close()
  fs.closeSync(fd)
})
