// A small PNG reader for tests (screenshots): 8-bit RGB or RGBA, not interlaced, which is
// what Chromium writes. Returns RGBA pixels, row after row.
import zlib from 'node:zlib'

export interface Image { width: number, height: number, rgba: Buffer }

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

export function readPng (file: Buffer): Image {
  if (!file.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG file')
  let width = 0
  let height = 0
  let colorType = -1
  const idat: Buffer[] = []
  for (let at = 8; at < file.length;) {
    const len = file.readUInt32BE(at)
    const type = file.toString('latin1', at + 4, at + 8)
    const body = file.subarray(at + 8, at + 8 + len)
    if (type === 'IHDR') {
      width = body.readUInt32BE(0)
      height = body.readUInt32BE(4)
      colorType = body[9]!
      if (body[8] !== 8 || (colorType !== 2 && colorType !== 6) || body[12] !== 0) {
        throw new Error(`unsupported PNG: bit depth ${body[8]}, color type ${colorType}, interlace ${body[12]}`)
      }
    } else if (type === 'IDAT') {
      idat.push(body)
    } else if (type === 'IEND') {
      break
    }
    at += 12 + len
  }
  const bpp = colorType === 6 ? 4 : 3
  const raw = zlib.inflateSync(Buffer.concat(idat))
  const stride = width * bpp
  const cur = Buffer.alloc(stride)
  const prev = Buffer.alloc(stride)
  const rgba = Buffer.alloc(width * height * 4)
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1))
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? cur[i - bpp]! : 0
      const b = prev[i]!
      const c = i >= bpp ? prev[i - bpp]! : 0
      let pred = 0
      if (filter === 1) pred = a
      else if (filter === 2) pred = b
      else if (filter === 3) pred = (a + b) >> 1
      else if (filter === 4) {
        const p = a + b - c
        const pa = Math.abs(p - a)
        const pb = Math.abs(p - b)
        const pc = Math.abs(p - c)
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c
      } else if (filter !== 0) throw new Error(`bad PNG filter ${filter} in row ${y}`)
      cur[i] = (line[i]! + pred) & 0xff
    }
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4
      rgba[o] = cur[x * bpp]!
      rgba[o + 1] = cur[x * bpp + 1]!
      rgba[o + 2] = cur[x * bpp + 2]!
      rgba[o + 3] = bpp === 4 ? cur[x * bpp + 3]! : 255
    }
    cur.copy(prev)
  }
  return { width, height, rgba }
}

/** Pixels in the box (CSS px at device scale 1) for which `pick(r, g, b)` holds. */
export function countPixels (img: Image, box: { x: number, y: number, w: number, h: number }, pick: (r: number, g: number, b: number) => boolean): number {
  let n = 0
  const x1 = Math.min(img.width, Math.ceil(box.x + box.w))
  const y1 = Math.min(img.height, Math.ceil(box.y + box.h))
  for (let y = Math.max(0, Math.floor(box.y)); y < y1; y++) {
    for (let x = Math.max(0, Math.floor(box.x)); x < x1; x++) {
      const o = (y * img.width + x) * 4
      if (pick(img.rgba[o]!, img.rgba[o + 1]!, img.rgba[o + 2]!)) n++
    }
  }
  return n
}
