// A simulator of krelay's debugfs directory in plain files: cpuN buffers (written through a
// shared writable mapping, so a consumer's mmap sees the bytes), info, stats, control and wait.
// Same protocol as the module (PROTOCOL.md), driven synchronously by the test: it writes
// records, flushes, takes acks, runs the generator, unloads.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { KIND_TEXT, LEVEL_INFO, TYPE_GEN, TYPE_TEXT, CTX_TASK, SUBBUF_HDR_SIZE, recordLength } from '../../formats/wire.ts'
import { writeRecordHeader, type RecordFields } from '../../formats/record.ts'
import { addToU64, u64FromBigInt, type U64 } from '../../formats/u64.ts'
import { genKind, genLevel, genPayloadLength, writeGenPayload } from '../../formats/gen.ts'
import { mmap } from '../source/mmap-io.ts'
import type { Acker } from '../source/ack.ts'
import { SimCpu } from './sim-cpu.ts'
import { renderInfo, renderStats } from './sim-text.ts'
import { fillStale } from './stale-fill.ts'
import { applyCommand } from './sim-control.ts'
import { replaceFile, SimWait } from './sim-files.ts'

export interface SimOptions {
  /** directory to create the files in; default a fresh temporary directory */
  dir?: string
  cpus?: number[]
  subbufSize?: number
  nSubbufs?: number
  flushIntervalMs?: number
  /** monotonic clock at start, ns; default just above 2^53 so that exactness is exercised */
  startTs?: bigint
  /** ns the clock advances per record written */
  tsStep?: number
  /** fill slots with stale bytes and old headers first (default true) */
  staleFill?: boolean
  /** leave the previous lap's commit_seq when opening a slot (default true) */
  staleCommitOnOpen?: boolean
  seed?: number
  monoToRealtimeNs?: bigint
  /** replace or add info keys, e.g. { abi_version: '2' } */
  infoOverrides?: Record<string, string>
  /** 16 hex digits; default random, as at every module load */
  channelId?: string
  /** create the `wait` FIFO (sim-files.ts); false simulates a module from before it (default true) */
  waitFile?: boolean
}

/** tmpfs when there is one: relay buffers live in memory, and disk writeback would only add noise. */
function defaultRoot (): string {
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK)
    return '/dev/shm'
  } catch {
    return os.tmpdir()
  }
}

export type WriteResult = 'written' | 'dropped' | 'filtered' | 'too_big'

export interface SimRecord {
  type?: number
  kind?: number
  level?: number
  pid?: number
  ctx?: number
  comm?: string
  payload: Uint8Array
}

interface GenRun { run: number, count: number, next: Map<number, number>, comm: Map<number, string> }

export class RelaySim {
  readonly dir: string
  readonly subbufSize: number
  readonly nSubbufs: number
  readonly flushIntervalMs: number
  readonly cpus = new Map<number, SimCpu>()
  readonly channelId: string
  readonly clock: U64
  tsStep: number
  running = true
  minLevel = 7
  sourceSched = false
  /**
   * The claim (PROTOCOL.md §6.1) as info shows it. The simulator cannot see which process
   * writes its control file, so `claim` records the name with pid 0 and nothing is
   * enforced: no EBUSY. Tests set a holder here; enforcement is tested on the real module.
   */
  consumer: { pid: number, name: string } | null = null
  infoOverrides: Record<string, string>
  unloaded = false
  private runs = 0
  private gen: GenRun | null = null
  private controlOffset = 0
  private readonly waitFile: SimWait | null
  private readonly fields: RecordFields = { type: 0, kind: 0, level: 0, seq: 0, tsHi: 0, tsLo: 0, pid: 0, ctx: 0, comm: '' }
  private readonly options: SimOptions

  constructor (options: SimOptions = {}) {
    this.options = options
    this.dir = options.dir ?? fs.mkdtempSync(path.join(defaultRoot(), 'krelay-sim-'))
    fs.mkdirSync(this.dir, { recursive: true })
    this.subbufSize = options.subbufSize ?? 4096
    this.nSubbufs = options.nSubbufs ?? 4
    this.flushIntervalMs = options.flushIntervalMs ?? 100
    this.clock = u64FromBigInt(options.startTs ?? (1n << 53n) + 1_000_000n)
    this.tsStep = options.tsStep ?? 1000
    this.infoOverrides = { ...options.infoOverrides }
    this.channelId = options.channelId ?? randomBytes(8).toString('hex')
    fs.writeFileSync(this.controlPath, '')
    this.waitFile = options.waitFile === false ? null : new SimWait(this.dir)
    for (const cpu of options.cpus ?? [0, 1]) this.addCpu(cpu)
    this.writeInfo()
  }

  get controlPath (): string {
    return path.join(this.dir, 'control')
  }

  cpuPath (cpu: number): string {
    return path.join(this.dir, `cpu${cpu}`)
  }

  /** Creates cpu<N> (a CPU coming online) and publishes it in info and stats. */
  addCpu (cpu: number): SimCpu {
    if (this.cpus.has(cpu)) throw new Error(`cpu ${cpu} exists`)
    const size = this.subbufSize * this.nSubbufs
    const file = this.cpuPath(cpu)
    fs.writeFileSync(file, Buffer.alloc(0))
    fs.truncateSync(file, size)
    const fd = fs.openSync(file, 'r+')
    const map = mmap.map(size, 3, mmap.MAP_SHARED, fd, 0) // PROT_READ | PROT_WRITE
    fs.closeSync(fd)
    if (this.options.staleFill ?? true) fillStale(map, cpu, this.subbufSize, this.nSubbufs, this.options.seed ?? 1)
    const simCpu = new SimCpu(cpu, map, this.subbufSize, this.nSubbufs, this.options.staleCommitOnOpen ?? true)
    simCpu.startWatermark(this.clock.hi, this.clock.lo)
    simCpu.onProduced = () => this.publishStats()
    this.cpus.set(cpu, simCpu)
    if (fs.existsSync(path.join(this.dir, 'info'))) this.writeInfo()
    this.publishStats()
    return simCpu
  }

  cpu (cpu: number): SimCpu {
    const c = this.cpus.get(cpu)
    if (!c) throw Object.assign(new Error(`no cpu ${cpu}`), { code: 'EINVAL' })
    return c
  }

  /** The writable mapping of cpu<N>, for tests that corrupt bytes on purpose. */
  mapping (cpu: number): Buffer {
    return this.cpu(cpu).map
  }

  slotOffset (seq: number): number {
    return ((seq - 1) % this.nSubbufs) * this.subbufSize
  }

  advance (ns: number): void {
    addToU64(this.clock, ns)
  }

  /** Writes one record on `cpu` through the module's write path (filter, size, drops). */
  write (cpu: number, record: SimRecord): WriteResult {
    const payloadLen = record.payload.length
    const at = this.reserve(cpu, record.level ?? LEVEL_INFO, payloadLen)
    if (at < 0) return at === -1 ? 'dropped' : at === -2 ? 'filtered' : 'too_big'
    const f = this.fields
    f.type = record.type ?? TYPE_TEXT
    f.kind = record.kind ?? KIND_TEXT
    f.level = record.level ?? LEVEL_INFO
    f.pid = record.pid ?? 4242
    f.ctx = record.ctx ?? CTX_TASK
    f.comm = record.comm ?? 'sim'
    const c = this.cpu(cpu)
    writeRecordHeader(c.view, at, f, payloadLen)
    c.map.set(record.payload, at + 48)
    return 'written'
  }

  writeText (cpu: number, text: string, level: number = LEVEL_INFO): WriteResult {
    return this.write(cpu, { payload: Buffer.from(text, 'utf8'), level })
  }

  /** -1 dropped, -2 filtered, -3 too big, else the offset; sets fields.seq and fields.ts. */
  private reserve (cpu: number, level: number, payloadLen: number): number {
    if (this.unloaded) throw new Error('the simulated module is unloaded')
    const c = this.cpu(cpu)
    if (!this.running || level > this.minLevel) { c.filtered++; return -2 }
    const len = recordLength(payloadLen)
    if (len > this.subbufSize - SUBBUF_HDR_SIZE) { c.tooBig++; return -3 }
    this.advance(this.tsStep)
    this.fields.seq = c.nextRecordSeq
    this.fields.tsHi = this.clock.hi
    this.fields.tsLo = this.clock.lo
    const produced = c.produced
    const at = c.reserve(len, this.clock.hi, this.clock.lo)
    // the write completed a sub-buffer: wake a waiting consumer, as the module does
    if (c.produced !== produced) this.waitFile?.notify()
    return at
  }

  /** `gen <count> 0`: starts a generator run on every online CPU; returns its run number. */
  startGen (count: number): number {
    if (this.gen) throw Object.assign(new Error('a generator run is in progress'), { code: 'EBUSY' })
    const run = ++this.runs
    const next = new Map<number, number>()
    const comm = new Map<number, string>()
    for (const [cpu, c] of this.cpus) if (c.online) { next.set(cpu, 0); comm.set(cpu, `krelay_gen/${cpu}`) }
    this.gen = { run, count, next, comm }
    this.writeInfo()
    return run
  }

  /** Writes up to `perCpu` more generator records on each CPU, interleaved; returns how many remain per CPU. */
  genStep (perCpu: number): number {
    const g = this.gen
    if (!g) return 0
    let remaining = 0
    for (let i = 0; i < perCpu; i++) {
      remaining = 0
      for (const [cpu, index] of g.next) {
        if (index >= g.count) continue
        this.writeGen(cpu, g, index)
        g.next.set(cpu, index + 1)
        remaining = Math.max(remaining, g.count - index - 1)
      }
      if (remaining === 0) break
    }
    if (remaining === 0) { this.gen = null; this.writeInfo() }
    return remaining
  }

  /** A whole generator run, written at once. */
  runGen (count: number): number {
    const run = this.startGen(count)
    this.genStep(count)
    return run
  }

  stopGen (): void {
    this.gen = null
    this.writeInfo()
  }

  private writeGen (cpu: number, g: GenRun, index: number): void {
    const payloadLen = genPayloadLength(g.run, cpu, index)
    const level = genLevel(index)
    const at = this.reserve(cpu, level, payloadLen)
    if (at < 0) return
    const f = this.fields
    f.type = TYPE_GEN
    f.kind = genKind(index)
    f.level = level
    f.pid = 100 + cpu
    f.ctx = CTX_TASK
    f.comm = g.comm.get(cpu)!
    const view = this.cpu(cpu).view
    writeRecordHeader(view, at, f, payloadLen)
    writeGenPayload(view, at + 48, g.run, cpu, index)
  }

  /** The `flush` command: every CPU closes a non-empty sub-buffer, W = now. */
  flush (): void {
    for (const c of this.cpus.values()) c.flush(this.clock.hi, this.clock.lo)
    this.publishStats()
    this.waitFile?.notify()
  }

  /** One period of the flush timer: like flush(), but skips CPUs whose consumer is behind. */
  timerFlush (): void {
    for (const c of this.cpus.values()) c.timerFlush(this.clock.hi, this.clock.lo)
    this.publishStats()
    this.waitFile?.notify()
  }

  ack (cpu: number, seq: number): void {
    this.cpu(cpu).ack(seq)
    this.publishStats()
  }

  /** An Acker that calls the simulator directly. */
  get acker (): Acker {
    return { ack: (cpu, seq) => this.ack(cpu, seq) }
  }

  /** Applies the commands appended to the control file since the last call; returns errors. */
  pumpControl (): Error[] {
    const text = fs.readFileSync(this.controlPath, 'latin1').slice(this.controlOffset)
    const complete = text.lastIndexOf('\n') + 1
    this.controlOffset += complete
    const errors: Error[] = []
    for (const line of text.slice(0, complete).split('\n')) {
      if (line === '') continue
      try { applyCommand(this, line) } catch (err) { errors.push(err as Error) }
    }
    return errors
  }

  /** Unload: close every open sub-buffer (even empty), then remove every file. Mappings stay. */
  unload (): void {
    for (const c of this.cpus.values()) c.unload(this.clock.hi, this.clock.lo)
    this.unloaded = true
    this.waitFile?.close()
    for (const name of fs.readdirSync(this.dir)) fs.rmSync(path.join(this.dir, name), { force: true })
  }

  /** Removes the directory; the simulator is unusable afterwards. */
  destroy (): void {
    this.unloaded = true
    this.waitFile?.close()
    fs.rmSync(this.dir, { recursive: true, force: true })
  }

  writeInfo (): void {
    if (this.unloaded) return
    this.replace('info', renderInfo({
      channelId: this.channelId,
      subbufSize: this.subbufSize,
      nSubbufs: this.nSubbufs,
      flushIntervalMs: this.flushIntervalMs,
      monoToRealtimeNs: this.options.monoToRealtimeNs ?? 1764032400123456789n,
      cpus: [...this.cpus.keys()].sort((a, b) => a - b),
      running: this.running,
      minLevel: this.minLevel,
      generatorRunning: this.gen !== null,
      sourceSched: this.sourceSched,
      consumer: this.consumer,
      overrides: this.infoOverrides,
    }))
  }

  publishStats (): void {
    if (this.unloaded) return
    this.replace('stats', renderStats([...this.cpus.values()].sort((a, b) => a.cpu - b.cpu)))
  }

  private replace (name: string, text: string): void {
    replaceFile(this.dir, name, text)
  }
}
