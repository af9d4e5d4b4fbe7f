// Child of module.test.ts: maps every CPU file of a channel, reports "mapped", and on
// SIGUSR1 (sent after the module was unloaded) reads every complete sub-buffer from
// the mappings and prints how many records each CPU held.
import { openChannel } from '../../../collector/source/channel.ts'
import { CpuBuffer, NOT_READY } from '../../../collector/source/cpu-buffer.ts'
import { createSubbufHeader } from '../../../formats/subbuf-header.ts'

const [dir = '', expected = '0'] = process.argv.slice(2)
const channel = openChannel(dir)
const { subbufSize, nSubbufs } = channel.info
const buffers = channel.info.cpus.map(cpu => new CpuBuffer(cpu, channel.mapCpu(cpu), subbufSize, nSubbufs, 1))
process.stdout.write('mapped\n')
process.on('SIGUSR1', () => {
  const header = createSubbufHeader()
  const counts = buffers.map(b => {
    let records = 0
    while (b.poll(header) !== NOT_READY) {
      records += header.nrecords
      b.next++
    }
    return records
  })
  const ok = counts.every(n => n === Number(expected))
  process.stdout.write(`records ${ok ? expected : counts.join(',')} per cpu\n`)
  process.exit(ok ? 0 : 1)
})
setInterval(() => {}, 1000)
