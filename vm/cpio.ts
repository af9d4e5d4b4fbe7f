// A minimal writer for the cpio "newc" format the kernel unpacks as initramfs (pure).
// Written here rather than shelling out to cpio so device nodes need neither root nor mknod.

export type CpioEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; data: Buffer; mode?: number }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'chardev'; path: string; major: number; minor: number; mode?: number }

function hex8 (n: number): string {
  return n.toString(16).padStart(8, '0')
}

function pad4 (n: number): Buffer {
  return Buffer.alloc((4 - (n % 4)) % 4)
}

function record (ino: number, name: string, mode: number, data: Buffer, rdev = { major: 0, minor: 0 }): Buffer[] {
  const nameBuf = Buffer.from(`${name}\0`, 'utf8')
  const fields = [ino, mode, 0, 0, 1, 0, data.length, 0, 0, rdev.major, rdev.minor, nameBuf.length, 0]
  const header = Buffer.from(`070701${fields.map(hex8).join('')}`, 'ascii')
  return [header, nameBuf, pad4(header.length + nameBuf.length), data, pad4(data.length)]
}

export function cpioNewc (entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = []
  let ino = 1
  for (const e of entries) {
    const name = e.path.replace(/^\/+/, '')
    if (!name) throw new Error('cpio entry with empty path')
    switch (e.type) {
      case 'dir':
        parts.push(...record(ino++, name, 0o040000 | (e.mode ?? 0o755), Buffer.alloc(0)))
        break
      case 'file':
        parts.push(...record(ino++, name, 0o100000 | (e.mode ?? 0o644), e.data))
        break
      case 'symlink':
        parts.push(...record(ino++, name, 0o120777, Buffer.from(e.target, 'utf8')))
        break
      case 'chardev':
        parts.push(...record(ino++, name, 0o020000 | (e.mode ?? 0o600), Buffer.alloc(0), e))
        break
    }
  }
  parts.push(...record(0, 'TRAILER!!!', 0, Buffer.alloc(0)))
  return Buffer.concat(parts)
}
