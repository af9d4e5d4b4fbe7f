// The `flush` command (PROTOCOL.md §6), and waiting for its effect: when the module's
// write() returns, every watermark has moved to the time of the call. A consumer that
// takes what the flush completed must not look before that.
import { setTimeout as sleep } from 'node:timers/promises'
import { writeControl } from './ack.ts'
import type { Channel } from './channel.ts'

/** Writes `flush` (throws ChannelError 'not-a-channel' if the module is going) and resolves once every CPU's watermark in `stats` moved past its value before (at once with the module). */
export async function flushChannel (channel: Channel, timeoutMs = 5000): Promise<void> {
  const before = channel.readStats()
  writeControl(channel.controlPath, 'flush\n', channel.sys)
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const now = channel.readStats()
    const moved = before.cpus.every((b) => {
      const row = now.byCpu.get(b.cpu)
      return row !== undefined && (row.watermarkHi > b.watermarkHi || (row.watermarkHi === b.watermarkHi && row.watermarkLo > b.watermarkLo))
    })
    if (moved) return
    if (Date.now() > deadline) throw new Error(`${channel.controlPath}: flush took no effect within ${timeoutMs} ms (watermarks in stats did not move)`)
    await sleep(1)
  }
}
