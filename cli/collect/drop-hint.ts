// What to change when the kernel dropped records (blktrace's "N dropped events, consider
// -b/-n", but computed): the module buffer that would have held the burst.
//
// While the collector is behind on a CPU, the module's flush timer closes no part-filled
// sub-buffer (kmod/channel.c, krelay_flush_cpu_if_caught_up), so a stalled reader has the
// whole buffer, n_subbufs x (subbuf_size - header), in which the CPU's records wait. What
// was dropped did not fit in it: a buffer that many bytes larger would have held the burst.
// With HEADROOM to spare, that is rounded up to whole sub-buffers of the current size (each
// holding whole records, plus one: see dropAdvice), or of a larger power of two where the
// module's limits (kmod/main.c) allow no more sub-buffers. Drops in every interval for
// SUSTAINED_S are another matter: the collector is slower than the CPU writes, and a
// bigger buffer only delays the drops.
import { SUBBUF_HDR_SIZE } from '../../formats/wire.ts'

/** The module's parameters that size a CPU's buffer (its `info` file). */
export interface Geometry {
  subbufSize: number
  nSubbufs: number
}

/** The module's limits on its parameters (kmod/main.c, krelay_check_params). */
export const SUBBUF_SIZE_MAX = 4 * 1024 * 1024
export const N_SUBBUFS_MIN = 2
export const N_SUBBUFS_MAX = 1024
/** relay's limit on one CPU's buffer, subbuf_size x n_subbufs */
export const CPU_BUFFER_MAX = 0xffffffff

/**
 * The buffer advised holds this much more than the burst needed: the dropped records'
 * size is a guess (the mean of those spooled), and records differ. The generator's grow
 * by a few digits within a burst: 8% more per record in the guest test
 * (test/vm/guest/drop-hint.test.ts), where the parameters advised must hold the same burst.
 */
export const HEADROOM = 1.25

/** Drops in every interval for this long: the collector is too slow, not stalled for a while. */
export const SUSTAINED_S = 10

/** One CPU's drops since its last hint, and what the CPU wrote meanwhile. */
export interface DropBurst {
  cpu: number
  /** records the kernel dropped */
  dropped: number
  /** how long the burst was watched (its intervals with drops, and one after when it ended) */
  seconds: number
  /** records spooled over those seconds */
  records: number
  /** mean bytes of one record (headers included) on this CPU; 0 if none was spooled yet */
  recordBytes: number
  /** every interval of the last SUSTAINED_S or more had drops */
  sustained: boolean
}

export type DropAdvice =
  | { kind: 'buffer', cpu: number, dropped: number, needBytes: number, subbufSize: number, nSubbufs: number }
  | { kind: 'too-big', cpu: number, dropped: number, needBytes: number }
  | { kind: 'too-slow', cpu: number, dropped: number, takenPerSecond: number, writtenPerSecond: number }

/** Bytes of records one sub-buffer of `subbufSize` holds. */
const payload = (subbufSize: number): number => subbufSize - SUBBUF_HDR_SIZE

/** The advice for `burst` on a module with buffers of `g`; none when nothing was dropped. */
export function dropAdvice (burst: DropBurst, g: Geometry): DropAdvice | undefined {
  const { cpu, dropped } = burst
  if (dropped <= 0) return undefined
  if (burst.sustained) {
    return { kind: 'too-slow', cpu, dropped, takenPerSecond: burst.records / burst.seconds, writtenPerSecond: (burst.records + dropped) / burst.seconds }
  }
  // without a record size seen (nothing spooled yet), a dropped record counts as a sub-buffer's worth: an upper bound
  const recordBytes = burst.recordBytes
  const needBytes = g.nSubbufs * payload(g.subbufSize) + dropped * (recordBytes > 0 ? recordBytes : payload(g.subbufSize))
  for (let size = g.subbufSize; size <= SUBBUF_SIZE_MAX; size *= 2) {
    // A record never spans two sub-buffers: each may end up to a record short. And one more
    // sub-buffer: the flush timer may have closed the one being filled, part-filled, as the
    // reader stopped (it closes none once the reader is behind).
    const n = Math.max(N_SUBBUFS_MIN, Math.ceil(needBytes * HEADROOM / (payload(size) - recordBytes)) + 1)
    if (n <= N_SUBBUFS_MAX && n * size <= CPU_BUFFER_MAX) return { kind: 'buffer', cpu, dropped, needBytes, subbufSize: size, nSubbufs: n }
  }
  return { kind: 'too-big', cpu, dropped, needBytes }
}

/** The larger of two advices: the buffer that holds both bursts; too-slow over all. */
export function worse (a: DropAdvice | undefined, b: DropAdvice): DropAdvice {
  if (a === undefined) return b
  const rank = (x: DropAdvice): number => x.kind === 'too-slow' ? 2 : x.kind === 'too-big' ? 1 : 0
  if (rank(a) !== rank(b)) return rank(a) > rank(b) ? a : b
  if (a.kind === 'buffer' && b.kind === 'buffer') return a.nSubbufs * a.subbufSize >= b.nSubbufs * b.subbufSize ? a : b
  return a
}

export function modprobeLine (a: { nSubbufs: number, subbufSize: number }): string {
  return `modprobe krelay n_subbufs=${a.nSubbufs} subbuf_size=${a.subbufSize}`
}

/** What a hint line says the CPU lost: its drops since the last hint, over how many seconds. */
export interface DropTotals { dropped: number, seconds: number }

/** One line for one CPU (what the collector logs): its drops, and `a` for its largest burst `burst`. */
export function hintLine (a: DropAdvice, burst: DropBurst, g: Geometry, totals: DropTotals): string {
  const head = `cpu ${a.cpu}: ${count(totals.dropped)} records dropped in the last ${totals.seconds.toFixed(1)} s`
  const now = `${g.nSubbufs} x ${size(g.subbufSize)}`
  switch (a.kind) {
    case 'too-slow':
      return `${head}, in every second for ${burst.seconds.toFixed(0)} s: the collector took ${count(a.takenPerSecond)} records/s of this CPU while it wrote ` +
        `${count(a.writtenPerSecond)}/s; a bigger buffer than ${now} would only delay the drops: give the collector more CPU or a faster disk, ` +
        'or have the module keep fewer records (its level filter)'
    case 'too-big':
      return `${head}: holding them would take ${size(a.needBytes)} per CPU, beyond what the module allows ` +
        `(${N_SUBBUFS_MAX} x ${size(SUBBUF_SIZE_MAX)}, at most ${size(CPU_BUFFER_MAX)}): the collector stopped reading for too long; find out why (disk, CPU, --spool-budget)`
    case 'buffer':
      return `${head}${held(burst, g)}; the largest burst needed ${size(a.needBytes)} per CPU, a quarter more to spare: ${advice(a)}`
  }
}

/** ", writing 25.6 MiB/s: its buffer, 8 x 256 KiB, holds 78 ms of that" when the burst's rate is known */
function held (burst: DropBurst, g: Geometry): string {
  const bytesPerSecond = (burst.records + burst.dropped) / burst.seconds * burst.recordBytes
  if (!(bytesPerSecond > 0) || !Number.isFinite(bytesPerSecond)) return `; its buffer is ${g.nSubbufs} x ${size(g.subbufSize)}`
  const ms = g.nSubbufs * payload(g.subbufSize) / bytesPerSecond * 1000
  return ` (it wrote ${size(bytesPerSecond)}/s: its buffer, ${g.nSubbufs} x ${size(g.subbufSize)}, holds ${ms < 10 ? ms.toFixed(1) : count(ms)} ms of that)`
}

/** The change to make, as a command and as a modprobe.d line (dkms installs read that). */
export function advice (a: { nSubbufs: number, subbufSize: number }): string {
  return `${modprobeLine(a)} (${a.nSubbufs} x ${size(a.subbufSize)} = ${size(a.nSubbufs * a.subbufSize)} per CPU; ` +
    `or "options krelay n_subbufs=${a.nSubbufs} subbuf_size=${a.subbufSize}" in /etc/modprobe.d/krelay.conf)`
}

/** The summary's line: the run's drops per CPU and the one change that holds the largest burst. */
export function summaryHint (dropped: ReadonlyMap<number, number>, worst: DropAdvice | undefined): string | undefined {
  let total = 0
  for (const n of dropped.values()) total += n
  if (total === 0) return undefined
  const perCpu = [...dropped].filter(([, n]) => n > 0).sort(([a], [b]) => a - b).map(([cpu, n]) => `cpu ${cpu}: ${count(n)}`).join(', ')
  const head = `krelay collect: ${count(total)} records dropped by the kernel (${perCpu})`
  if (worst === undefined) return head
  switch (worst.kind) {
    case 'buffer': return `${head}; consider ${advice(worst)}`
    case 'too-big': return `${head}; no buffer the module allows would have held cpu ${worst.cpu}'s (${size(worst.needBytes)}): the collector stopped reading for too long`
    case 'too-slow': return `${head}; the collector was too slow for cpu ${worst.cpu} (it took ${count(worst.takenPerSecond)} records/s of ` +
      `${count(worst.writtenPerSecond)}/s): a bigger buffer would not help`
  }
}

/** 1234567 -> "1,234,567" (whole numbers; rates are rounded) */
export function count (n: number): string {
  // not toLocaleString: its first call loads ICU's number data on capture's thread, which
  // took 386 ms in the emulated test guest, at the moment the kernel was already dropping
  const r = Math.round(n)
  const digits = String(Math.abs(r))
  if (!/^\d+$/.test(digits)) return String(r)
  let text = digits.slice(0, (digits.length - 1) % 3 + 1)
  for (let i = text.length; i < digits.length; i += 3) text += `,${digits.slice(i, i + 3)}`
  return r < 0 ? `-${text}` : text
}

/** Bytes as KiB/MiB/GiB when whole-ish: 262144 -> "256 KiB", 3.5 MiB -> "3.5 MiB". */
export function size (bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB'] as const
  let v = bytes
  let u = 0
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++ }
  const text = Number.isInteger(v) || v >= 100 ? Math.round(v).toString() : v.toFixed(1)
  return `${text} ${units[u]}`
}
