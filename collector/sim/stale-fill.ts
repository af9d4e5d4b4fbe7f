// Stale bytes in every slot, as if from earlier laps: random bytes, and a well-formed old
// header whose commit_seq is seq - n_subbufs (wrapped), never the seq a consumer expects.
import { ABI_VERSION, SUBBUF_HDR as H, SUBBUF_HDR_SIZE, SUBBUF_MAGIC } from '../../formats/wire.ts'

function xorshift32 (seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9
  return () => {
    x ^= x << 13; x >>>= 0
    x ^= x >>> 17
    x ^= x << 5; x >>>= 0
    return x
  }
}

export function fillStale (map: Buffer, cpu: number, subbufSize: number, nSubbufs: number, seed: number): void {
  const next = xorshift32(seed * 7919 + cpu + 1)
  for (let i = 0; i + 4 <= map.length; i += 4) map.writeUInt32LE(next(), i)
  for (let slot = 0; slot < nSubbufs; slot++) {
    const off = slot * subbufSize
    const staleSeq = BigInt.asUintN(64, BigInt(slot + 1 - nSubbufs))
    map.writeUInt32LE(SUBBUF_MAGIC, off + H.magic.offset)
    map.writeUInt16LE(ABI_VERSION, off + H.version.offset)
    map.writeUInt16LE(SUBBUF_HDR_SIZE, off + H.hdr_size.offset)
    map.writeUInt32LE(cpu, off + H.cpu.offset)
    map.writeBigUInt64LE(staleSeq, off + H.seq.offset)
    map.writeBigUInt64LE(staleSeq, off + H.commit_seq.offset)
    map.writeUInt32LE(next() % (subbufSize - SUBBUF_HDR_SIZE), off + H.committed.offset)
  }
}
