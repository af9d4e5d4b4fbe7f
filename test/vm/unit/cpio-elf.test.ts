import assert from 'node:assert/strict'
import { test } from 'node:test'
import { cpioNewc } from '../../../vm/cpio.ts'
import { isStaticElf } from '../../../vm/elf.ts'

interface Parsed {
  name: string;
  mode: number;
  rdevmajor: number;
  rdevminor: number;
  data: string;
}

/** Independent reader for the newc layout, to check the writer against. */
function parseNewc (buf: Buffer): Parsed[] {
  const out: Parsed[] = []
  let off = 0
  const align = (n: number): number => (n + 3) & ~3
  for (;;) {
    assert.equal(buf.toString('ascii', off, off + 6), '070701')
    const field = (i: number): number => parseInt(buf.toString('ascii', off + 6 + i * 8, off + 14 + i * 8), 16)
    const [mode, size, rmaj, rmin, namesize] = [field(1), field(6), field(9), field(10), field(11)]
    const name = buf.toString('utf8', off + 110, off + 110 + namesize - 1)
    const dataAt = align(off + 110 + namesize)
    if (name === 'TRAILER!!!') return out
    out.push({ name, mode, rdevmajor: rmaj, rdevminor: rmin, data: buf.toString('utf8', dataAt, dataAt + size) })
    off = align(dataAt + size)
  }
}

test('cpioNewc writes dirs, files, symlinks and device nodes', () => {
  const buf = cpioNewc([
    { type: 'dir', path: '/bin' },
    { type: 'file', path: 'init', data: Buffer.from('#!/bin/sh\n'), mode: 0o755 },
    { type: 'symlink', path: 'bin/sh', target: 'busybox' },
    { type: 'chardev', path: 'dev/console', major: 5, minor: 1 },
  ])
  assert.equal(buf.length % 4, 0)
  const e = parseNewc(buf)
  assert.deepEqual(
    e.map((x) => [x.name, x.mode.toString(8)]),
    [['bin', '40755'], ['init', '100755'], ['bin/sh', '120777'], ['dev/console', '20600']]
  )
  assert.equal(e[1]?.data, '#!/bin/sh\n')
  assert.equal(e[2]?.data, 'busybox')
  assert.deepEqual([e[3]?.rdevmajor, e[3]?.rdevminor], [5, 1])
})

function elf (withInterp: boolean): Buffer {
  const b = Buffer.alloc(64 + 2 * 56)
  b.writeUInt32BE(0x7f454c46, 0)
  b[4] = 2
  b[5] = 1
  b.writeBigUInt64LE(64n, 0x20)
  b.writeUInt16LE(56, 0x36)
  b.writeUInt16LE(2, 0x38)
  b.writeUInt32LE(1, 64) // PT_LOAD
  b.writeUInt32LE(withInterp ? 3 : 1, 64 + 56)
  return b
}

test('isStaticElf tells PT_INTERP apart', () => {
  assert.equal(isStaticElf(elf(false)), true)
  assert.equal(isStaticElf(elf(true)), false)
  assert.throws(() => isStaticElf(Buffer.from('#!/bin/sh\n'.padEnd(80))))
})
