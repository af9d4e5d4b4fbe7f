// Part of bench/capture-vm.ts, in the guest: CPU per sub-buffer of the least that capture
// must do (the frame's CRC32C, CAPTURE.md, and one writev() of frame and bytes appended to
// the spool's filesystem) against the C consumer's whole work (one read() of the bytes from
// kernel memory, as relay's read() copies them out of its buffer, and one write() appended
// to a file). Under TCG the CRC32C instruction is emulated: the CRC alone costs about as much
// as the C consumer's two copies, whatever else capture does or does not do.
import fs from 'node:fs'
import path from 'node:path'
import { encodeFrameHeader, FRAME_HDR_SIZE } from '../formats/capture-frame.ts'
import { cpuMs } from './cpu-time.ts'

export interface CaptureFloor {
  /** CPU ms per sub-buffer, the median of the rounds */
  peerMs: number
  crcMs: number
  writeMs: number
}

/** `perRound` sub-buffers of `subbufSize` bytes per measure, three rounds, files in `dir`. */
export function measureFloor (subbufSize: number, perRound: number, dir: string): CaptureFloor {
  fs.mkdirSync(dir, { recursive: true })
  const bytes = Buffer.alloc(subbufSize)
  for (let i = 0; i + 4 <= subbufSize; i += 4) bytes.writeUInt32LE(Math.imul(i, 0x9e3779b1) >>> 0, i)
  const source = path.join(dir, 'floor-source')
  fs.writeFileSync(source, bytes)
  const into = Buffer.alloc(subbufSize)
  const frame = Buffer.alloc(FRAME_HDR_SIZE)
  const inFd = fs.openSync(source, 'r')
  const rounds: CaptureFloor[] = []
  try {
    for (let r = 0; r < 3; r++) {
      rounds.push({
        peerMs: perSubbuf(dir, perRound, out => {
          fs.readSync(inFd, into, 0, subbufSize, 0)
          fs.writeSync(out, into)
        }),
        crcMs: perSubbuf(dir, perRound, () => encodeFrameHeader(frame, bytes, 0, 1)),
        writeMs: perSubbuf(dir, perRound, out => { fs.writevSync(out, [frame, bytes]) }),
      })
    }
  } finally {
    fs.closeSync(inFd)
    fs.rmSync(source)
  }
  const median = (key: keyof CaptureFloor): number => rounds.map(x => x[key]).sort((a, b) => a - b)[1]!
  return { peerMs: median('peerMs'), crcMs: median('crcMs'), writeMs: median('writeMs') }
}

/** CPU ms per call of `step`, `n` calls appending to a fresh file (removed after). */
function perSubbuf (dir: string, n: number, step: (out: number) => void): number {
  const file = path.join(dir, 'floor-out')
  const out = fs.openSync(file, 'w')
  try {
    const t0 = cpuMs()
    for (let i = 0; i < n; i++) step(out)
    return (cpuMs() - t0) / n
  } finally {
    fs.closeSync(out)
    fs.rmSync(file)
  }
}

/** The line capture-vm prints. */
export function floorLine (f: CaptureFloor, subbufSize: number): string {
  const least = f.crcMs + f.writeMs
  return `CPU per ${subbufSize / 1024} KiB sub-buffer in this guest: the C consumer's read() + write() ${f.peerMs.toFixed(2)} ms; ` +
    `the least capture does, frame CRC32C ${f.crcMs.toFixed(2)} ms + writev() ${f.writeMs.toFixed(2)} ms = ${least.toFixed(2)} ms ` +
    `(${(least / f.peerMs).toFixed(2)}x the C consumer's)`
}
