// Is an ELF executable statically linked (no PT_INTERP)? The initramfs has no libc (pure).

export function isStaticElf (buf: Buffer): boolean {
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF file')
  if (buf[4] !== 2 || buf[5] !== 1) throw new Error('not a 64-bit little-endian ELF file')
  const phoff = Number(buf.readBigUInt64LE(0x20))
  const phentsize = buf.readUInt16LE(0x36)
  const phnum = buf.readUInt16LE(0x38)
  for (let i = 0; i < phnum; i++) {
    const off = phoff + i * phentsize
    if (off + 4 > buf.length) throw new Error('truncated ELF program headers')
    if (buf.readUInt32LE(off) === 3 /* PT_INTERP */) return false
  }
  return true
}
