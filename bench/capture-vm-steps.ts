// The guest side's building blocks for bench/capture-vm-guest.ts: the channel's files, one
// generator step at a rate with its kernel drop count, and the rate search (doubling, then
// bisection between the last rate without drops and the first with).
import fs from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { DEFAULT_CHANNEL_DIR } from '../collector/source/channel.ts'
import { parseInfo } from '../formats/info.ts'
import { parseStats, type ChannelStats } from '../formats/stats.ts'

export const CHANNEL = DEFAULT_CHANNEL_DIR

export const control = (command: string): void => fs.writeFileSync(path.join(CHANNEL, 'control'), command)
export const readStats = (): ChannelStats => parseStats(fs.readFileSync(path.join(CHANNEL, 'stats'), 'utf8'))
export const readInfo = (): ReturnType<typeof parseInfo> => parseInfo(fs.readFileSync(path.join(CHANNEL, 'info'), 'utf8'))

export async function until (cond: () => boolean, what: string, ms: number, everyMs = 10): Promise<void> {
  for (const t0 = Date.now(); !cond();) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`)
    await sleep(everyMs)
  }
}

/** 'one': the generator runs on CPU 0 only; 'all': on every CPU. */
export type Busy = 'one' | 'all'

export interface StepResult {
  /** requested records/s per busy CPU */
  rate: number
  busyCpus: number
  records: number
  /** records/s over all busy CPUs, from the time the generator took */
  achieved: number
  dropped: number
}

const onlineFile = (cpu: number): string => `/sys/devices/system/cpu/cpu${cpu}/online`

function setOnline (cpus: readonly number[], online: boolean): void {
  for (const cpu of cpus) fs.writeFileSync(onlineFile(cpu), online ? '1' : '0')
}

/**
 * One generator run of `seconds` at `rate` records/s per CPU. The generator starts a thread
 * on every online CPU, so for one busy CPU the others are taken offline for the time of the
 * `gen` command and brought back at once (the consumer then has them again). Returns once
 * the generator is done; the kernel's drop count (stats, after reset-stats) is final then.
 */
export async function step (busy: Busy, rate: number, seconds: number): Promise<StepResult> {
  const cpus = readInfo().cpus
  const others = busy === 'one' ? cpus.filter(c => c !== 0) : []
  const busyCpus = busy === 'one' ? 1 : cpus.length
  const count = Math.max(1, Math.round(rate * seconds))
  control('reset-stats')
  setOnline(others, false)
  let t0: number
  try {
    t0 = performance.now()
    control(`gen ${count} ${rate}`)
  } finally {
    setOnline(others, true)
  }
  // The harness shares the guest's CPUs with the consumer under test: reading and parsing
  // `info` every few ms took a good part of an emulated CPU. So it sleeps out the step's
  // planned time first and only then polls (20 ms: 0.4% of a 5 s step).
  await sleep(seconds * 1000)
  await until(() => readInfo().generator === 'idle', 'the generator to finish', seconds * 20_000 + 60_000, 20)
  const ms = performance.now() - t0
  const s = readStats()
  const dropped = s.cpus.reduce((n, c) => n + c.dropped, 0)
  const written = s.cpus.reduce((n, c) => n + c.written, 0)
  if (written + dropped !== count * busyCpus) {
    throw new Error(`step at ${rate}/s: written ${written} + dropped ${dropped} is not the ${count * busyCpus} records generated`)
  }
  return { rate, busyCpus, records: count * busyCpus, achieved: count * busyCpus / (ms / 1000), dropped }
}

export interface SearchResult {
  /** highest records/s over the busy CPUs reached without a drop (0 if none) */
  best: number
  /** no step dropped (the generator ran flat out, or the doublings ran out): `best` is a lower bound */
  capped: boolean
  steps: StepResult[]
}

export interface SearchPlan {
  startRate: number
  seconds: number
  maxDoublings: number
  bisections: number
}

/**
 * Doubles the rate from `startRate` until a step drops, then bisects between the last good
 * and the first bad rate; the result is the highest rate reached in a step without a drop.
 * Under single-threaded TCG the generator and the consumer share one host thread, so a
 * consumer that needs more CPU also slows the generator down: a step reaches what it reaches,
 * and what counts is the records/s written with no drop. Doubling stops early when the
 * generator ran at under half the asked rate (flat out: asking more changes nothing).
 * `settle` runs after every step (the consumer catches up there); `around` wraps every
 * step (a consumer started and stopped per step).
 */
export async function search (
  busy: Busy, plan: SearchPlan, settle: () => Promise<void>, log: (s: string) => void,
  around: (body: () => Promise<void>) => Promise<void> = async body => await body()
): Promise<SearchResult> {
  const steps: StepResult[] = []
  let best = 0
  let good = 0
  let bad: number | null = null
  const run = async (rate: number): Promise<StepResult> => {
    let r: StepResult | undefined
    await around(async () => { r = await step(busy, rate, plan.seconds) })
    if (r === undefined) throw new Error('no step result')
    await settle()
    steps.push(r)
    log(`  ${busy} busy: ${rate}/s per CPU for ${plan.seconds} s: ${r.records} records at ${Math.round(r.achieved)}/s, ${r.dropped} dropped`)
    if (r.dropped === 0) best = Math.max(best, Math.min(r.achieved, r.rate * r.busyCpus))
    return r
  }
  let rate = plan.startRate
  for (let i = 0; i <= plan.maxDoublings; i++, rate *= 2) {
    const r = await run(rate)
    if (r.dropped > 0) {
      bad = rate
      break
    }
    good = rate
    if (r.achieved < 0.5 * r.rate * r.busyCpus) break
  }
  for (let i = 0; i < plan.bisections && bad !== null; i++) {
    const mid = Math.round((good + bad) / 2)
    if (mid <= good || mid >= bad) break
    const r = await run(mid)
    if (r.dropped > 0) bad = mid
    else good = mid
  }
  return { best, capped: bad === null, steps }
}
