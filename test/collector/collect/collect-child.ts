// A collector process for the crash tests: collect(channelDir, out) until SIGTERM;
// with a third argument `stuck`, its archive worker takes nothing from capture (archiveGate).
import path from 'node:path'
import { collect } from '../../../collector/collect/collect.ts'

const [channelDir = '', out = '', mode = ''] = process.argv.slice(2)
const gate = new Int32Array(new SharedArrayBuffer(4))
gate[0] = mode === 'stuck' ? 1 : 0
const stop = new AbortController()
process.on('SIGTERM', () => stop.abort())
const summary = await collect({
  channelDir,
  out,
  spoolDir: path.join(out, '.spool'),
  host: 'sim',
  fsync: 'never',
  segmentBytes: 32 * 1024,
  segmentAgeMs: 60000,
  maxFileBytes: 64 * 1024,
  maxAgeSeconds: 60,
  follow: false,
  signal: stop.signal,
  archiveGate: gate,
  log: line => process.stderr.write(`${line}\n`),
})
process.stdout.write(`${JSON.stringify(summary)}\n`)
