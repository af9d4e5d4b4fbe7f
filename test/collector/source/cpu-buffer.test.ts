// Finding the next complete sub-buffer: commit_seq == next in slot (next - 1) % n_subbufs.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { SUBBUF_HDR } from '../../../formats/wire.ts'
import { createSubbufHeader, HEADER_BAD_CPU, HEADER_BAD_MAGIC, HEADER_OK } from '../../../formats/subbuf-header.ts'
import { CpuBuffer, NOT_READY } from '../../../collector/source/cpu-buffer.ts'
import { openChannel } from '../../../collector/source/channel.ts'
import { RelaySim } from '../../../collector/sim/relay-sim.ts'

const sims: RelaySim[] = []
after(() => { for (const sim of sims) sim.destroy() })

function setup (): { sim: RelaySim, buffer: CpuBuffer } {
  const sim = new RelaySim({ cpus: [1], subbufSize: 1024, nSubbufs: 4 })
  sims.push(sim)
  const channel = openChannel(sim.dir)
  return { sim, buffer: new CpuBuffer(1, channel.mapCpu(1), 1024, 4, 1) }
}

const PAYLOAD = Buffer.alloc(100, 0x41) // 6 records per sub-buffer

test('not ready while open, ready once closed, through the consumer\'s own mapping', () => {
  const { sim, buffer } = setup()
  const h = createSubbufHeader()
  assert.equal(buffer.poll(h), NOT_READY, 'stale bytes at start')
  sim.write(1, { payload: PAYLOAD })
  assert.equal(buffer.poll(h), NOT_READY, 'open sub-buffer, header written, commit_seq stale')
  sim.flush()
  assert.equal(buffer.poll(h), HEADER_OK)
  assert.equal(h.seq, 1)
  assert.equal(h.nrecords, 1)
  assert.equal(buffer.subbufBytes(1, h.committed, 80).length, 80 + 152)
})

test('slots of earlier laps are never taken for the next sub-buffer', () => {
  const { sim, buffer } = setup()
  const h = createSubbufHeader()
  for (let lap = 0; lap < 3; lap++) {
    for (let i = 0; i < 4; i++) {
      for (let r = 0; r < 6; r++) sim.write(1, { payload: PAYLOAD })
      sim.flush()
      assert.equal(buffer.poll(h), HEADER_OK)
      sim.ack(1, buffer.next)
      buffer.next++
    }
    // every slot now holds a complete sub-buffer of the lap just read
    assert.equal(buffer.poll(h), NOT_READY, `after lap ${lap}`)
  }
  assert.equal(buffer.next, 13)
  assert.equal(buffer.slotOffset(13), 0)
})

test('a complete sub-buffer with a bad header is reported, not hidden', () => {
  const { sim, buffer } = setup()
  sim.write(1, { payload: PAYLOAD })
  sim.flush()
  const map = sim.mapping(1)
  map.writeUInt32LE(0xdeadbeef, SUBBUF_HDR.magic.offset)
  assert.equal(buffer.poll(createSubbufHeader()), HEADER_BAD_MAGIC)
  map.writeUInt32LE(0x4253524b, SUBBUF_HDR.magic.offset)
  map.writeUInt32LE(0, SUBBUF_HDR.cpu.offset)
  assert.equal(buffer.poll(createSubbufHeader()), HEADER_BAD_CPU)
})

test('a commit_seq that matches only in its low half is not ready', () => {
  const { sim, buffer } = setup()
  const map = sim.mapping(1)
  map.writeUInt32LE(1, SUBBUF_HDR.commit_seq.offset)
  map.writeUInt32LE(1, SUBBUF_HDR.commit_seq.offset + 4)
  assert.equal(buffer.isReady(), false)
  map.writeUInt32LE(0, SUBBUF_HDR.commit_seq.offset + 4)
  assert.equal(buffer.isReady(), true)
})
