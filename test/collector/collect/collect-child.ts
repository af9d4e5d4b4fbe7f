// A collector process for the crash tests: collect(channelDir, out) until SIGTERM.
import path from 'node:path'
import { collect } from '../../../collector/collect/collect.ts'

const [channelDir = '', out = ''] = process.argv.slice(2)
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
  log: line => process.stderr.write(`${line}\n`),
})
process.stdout.write(`${JSON.stringify(summary)}\n`)
