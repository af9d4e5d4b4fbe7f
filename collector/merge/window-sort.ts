// The order of one release window: every record the merge releases at once, gathered
// stream by stream (CPUs ascending, each CPU's records in seq order) as a 64-bit key
// (its ts less the window's lowest, in two u32 halves) and its CPU, then put in key
// order by an LSD radix sort. The sort is stable, so equal keys keep the gathering
// order, (cpu, seq): the result is the merge's (ts, cpu, seq) order. Its cost per record
// does not depend on the number of streams, where a heap of stream heads pays log2(k)
// unpredictable comparisons per record. Only the digits the window's key range needs
// are sorted (a window of a reader pass spans milliseconds: two or three passes of 11
// bits; a window of fewer than 2048 records takes narrower digits, down to 4 bits). The arrays are allocated once and grown (doubled) when a window needs more,
// up to the merge's window limit; nothing is allocated per record or per window.

/** digit width of a window of 2048 records or more; smaller ones take narrower digits */
const DIGIT_BITS = 11

export class WindowSort {
  /** key halves and CPU of record i of the window, in gathering order until sort() */
  keyHi: Uint32Array
  keyLo: Uint32Array
  cpu: Uint32Array
  private spareHi: Uint32Array
  private spareLo: Uint32Array
  private spareCpu: Uint32Array
  private readonly counts = new Uint32Array(1 << DIGIT_BITS)

  constructor (capacity = 4096) {
    this.keyHi = new Uint32Array(capacity)
    this.keyLo = new Uint32Array(capacity)
    this.cpu = new Uint32Array(capacity)
    this.spareHi = new Uint32Array(capacity)
    this.spareLo = new Uint32Array(capacity)
    this.spareCpu = new Uint32Array(capacity)
  }

  get capacity (): number {
    return this.cpu.length
  }

  /** Room for at least `n` records; the first `keep` gathered ones are kept. */
  grow (n: number, keep: number): void {
    if (n <= this.cpu.length) return
    let size = this.cpu.length
    while (size < n) size *= 2
    this.keyHi = grown(this.keyHi, size, keep)
    this.keyLo = grown(this.keyLo, size, keep)
    this.cpu = grown(this.cpu, size, keep)
    this.spareHi = new Uint32Array(size)
    this.spareLo = new Uint32Array(size)
    this.spareCpu = new Uint32Array(size)
  }

  /**
   * Sorts the first `n` records by key, stably; `maxHi` is the largest key's high half.
   * Returns the CPUs in key order (valid until the next grow or sort).
   */
  sort (n: number, maxHi: number): Uint32Array {
    // the low half in full when any key reaches the high half, else only the digits its largest value needs
    let loBits = 32
    if (maxHi === 0) {
      let maxLo = 0
      const keyLo = this.keyLo
      for (let i = 0; i < n; i++) if (keyLo[i]! > maxLo) maxLo = keyLo[i]!
      loBits = 32 - Math.clz32(maxLo)
    }
    const hiBits = 32 - Math.clz32(maxHi)
    // a small window takes narrower digits: clearing and summing the counts costs per digit value, not per record
    const bits = Math.min(DIGIT_BITS, Math.max(4, 32 - Math.clz32(n)))
    for (let shift = 0; shift < loBits; shift += bits) this.pass(n, shift, bits, false, shift + bits < loBits, hiBits > 0)
    for (let shift = 0; shift < hiBits; shift += bits) this.pass(n, shift, bits, true, shift + bits < hiBits, false)
    return this.cpu
  }

  /**
   * One stable counting pass on the digit at `shift` of the high (`onHi`) or low half.
   * Moves the CPUs, the half it reads when `moveKey` (a later pass reads it), and the
   * high half during a low pass when `moveHi`. A digit that is the same for every record
   * is skipped.
   */
  private pass (n: number, shift: number, bits: number, onHi: boolean, moveKey: boolean, moveHi: boolean): void {
    const counts = this.counts
    const digits = 1 << bits
    const mask = digits - 1
    counts.fill(0, 0, digits)
    const keys = onHi ? this.keyHi : this.keyLo
    for (let i = 0; i < n; i++) counts[(keys[i]! >>> shift) & mask]!++
    if (counts[(keys[0]! >>> shift) & mask] === n) return
    let sum = 0
    for (let d = 0; d < digits; d++) {
      const c = counts[d]!
      counts[d] = sum
      sum += c
    }
    const cpu = this.cpu
    const toCpu = this.spareCpu
    const to = onHi ? this.spareHi : this.spareLo
    const hi = this.keyHi
    const toHi = this.spareHi
    if (moveHi) {
      for (let i = 0; i < n; i++) {
        const k = keys[i]!
        const j = counts[(k >>> shift) & mask]!++
        to[j] = k
        toHi[j] = hi[i]!
        toCpu[j] = cpu[i]!
      }
    } else if (moveKey) {
      for (let i = 0; i < n; i++) {
        const k = keys[i]!
        const j = counts[(k >>> shift) & mask]!++
        to[j] = k
        toCpu[j] = cpu[i]!
      }
    } else {
      for (let i = 0; i < n; i++) toCpu[counts[(keys[i]! >>> shift) & mask]!++] = cpu[i]!
    }
    this.spareCpu = cpu
    this.cpu = toCpu
    if (moveKey || moveHi) this.swapKeys(onHi, moveHi)
  }

  private swapKeys (onHi: boolean, moveHi: boolean): void {
    if (onHi || moveHi) {
      const t = this.keyHi
      this.keyHi = this.spareHi
      this.spareHi = t
    }
    if (!onHi) {
      const t = this.keyLo
      this.keyLo = this.spareLo
      this.spareLo = t
    }
  }
}

function grown (a: Uint32Array, size: number, keep: number): Uint32Array {
  const b = new Uint32Array(size)
  b.set(a.subarray(0, keep))
  return b
}
