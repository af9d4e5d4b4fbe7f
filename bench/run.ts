// Runs the benchmarks of bench/README.md one after the other and prints their goal lines
// together at the end.
//
//   node --import tsx bench/run.ts [--quick] [name ...]      (npm run bench / test:bench)
//
// Each benchmark runs as `node --import tsx bench/<name>.ts [--quick]` in its own process,
// its output streamed through. The run fails (exit 1) when a benchmark could not run: its
// script is missing, it exited non-zero, or it printed no goal line. A missed goal is a
// result, not a failure.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { isQuick } from './goal.ts'

/** In the order they run: the kernel's side first, then user space stage by stage. */
const BENCHES = ['capture-vm', 'collect', 'capture-host', 'merge', 'memory', 'kernel-cost', 'archive-size', 'compact'] as const

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url))
const GOAL_LINE = /^bench ([a-z-]+): (.+?); (.+?); goal (.+): (met|missed)$/

interface Outcome {
  name: string
  /** goal lines the benchmark printed */
  goals: string[]
  /** why the benchmark counts as not run, if it does */
  failure?: string
  seconds: number
}

async function runOne (name: string, quick: boolean): Promise<Outcome> {
  const script = path.join(BENCH_DIR, `${name}.ts`)
  const shown = `bench/${name}.ts`
  if (!fs.existsSync(script)) return { name, goals: [], failure: `${shown} does not exist`, seconds: 0 }
  console.log(`\n=== ${name}: node --import tsx ${shown}${quick ? ' --quick' : ''}`)
  const t0 = performance.now()
  // from the checkout's root, where --import finds tsx
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...(quick ? ['--quick'] : [])], { cwd: path.dirname(BENCH_DIR), stdio: ['ignore', 'pipe', 'inherit'] })
  const goals: string[] = []
  let partial = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => {
    process.stdout.write(chunk)
    const lines = (partial + chunk).split('\n')
    partial = lines.pop()!
    for (const line of lines) if (line.startsWith('bench ')) goals.push(line)
  })
  const code = await new Promise<number | string>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (c, signal) => resolve(c ?? signal ?? 'unknown'))
  })
  if (partial.startsWith('bench ')) goals.push(partial)
  const seconds = (performance.now() - t0) / 1000
  const bad = goals.filter(g => GOAL_LINE.exec(g)?.[1] !== name)
  let failure: string | undefined
  if (code !== 0) failure = `${shown} exited with ${code}`
  else if (goals.length === 0) failure = `${shown} printed no goal line`
  else if (bad.length > 0) failure = `${shown} printed a malformed goal line: ${bad[0]}`
  return { name, goals, failure, seconds }
}

function summary (outcomes: Outcome[]): string {
  const rows: string[][] = [['bench', 'figure', 'against the baseline', 'goal', 's', 'result']]
  for (const o of outcomes) {
    for (const line of o.goals) {
      const m = GOAL_LINE.exec(line)
      if (m) rows.push([m[1]!, m[2]!, m[3]!, m[4]!, o.seconds.toFixed(0), m[5]!])
    }
    if (o.failure !== undefined) rows.push([o.name, '-', '-', '-', o.seconds.toFixed(0), `FAILED: ${o.failure}`])
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map(r => r[i]!.length)))
  return rows.map(r => r.map((cell, i) => i === r.length - 1 ? cell : cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n')
}

async function main (): Promise<number> {
  const args = process.argv.slice(2)
  const quick = isQuick(args)
  const names = args.filter(a => a !== '--quick')
  const unknown = names.filter(n => !(BENCHES as readonly string[]).includes(n))
  if (unknown.length > 0) {
    console.error(`bench/run.ts: no benchmark named ${unknown.join(', ')} (there are: ${BENCHES.join(', ')})`)
    return 2
  }
  const chosen = names.length > 0 ? BENCHES.filter(b => names.includes(b)) : BENCHES
  const outcomes: Outcome[] = []
  for (const name of chosen) {
    const outcome = await runOne(name, quick)
    if (outcome.failure !== undefined) console.error(`bench/run.ts: ${outcome.failure}`)
    outcomes.push(outcome)
  }
  console.log(`\n=== summary${quick ? ' (quick)' : ''}\n${summary(outcomes)}`)
  const failed = outcomes.filter(o => o.failure !== undefined)
  if (failed.length > 0) {
    console.error(`bench/run.ts: ${failed.length} of ${outcomes.length} benchmarks did not run: ${failed.map(o => o.name).join(', ')}`)
    return 1
  }
  return 0
}

process.exitCode = await main()
