// krelay demo: the whole path end to end in a VM. Boots a Debian kernel under qemu with
// the module built for it, runs cli/demo/guest.ts there (insmod, `krelay collect` as a
// child process, the generator writes N records per CPU, SIGTERM, rmmod), moves the
// archive to --out, checks it with DuckDB and prints one summary line. With
// --kill-collector K the collector is killed K times during the run and restarted. On a
// terminal it also shows the live tail for the first seconds of the run (the guest's lines
// come back on the serial console), then how many records it did not show, and what to try.
import fs from 'node:fs'
import path from 'node:path'
import type { Command } from 'commander'
import { z } from 'zod'
import { kernelNames, repoRoot, type KernelName } from '../../vm/config.ts'
import { recordsByCpu, type ArchiveContents } from '../../offline/read-archive.ts'
import { DEMO_ARCHIVE, DEMO_DEFAULT_RATE, DEMO_REPORT, PHASE_RE, TAIL_PREFIX, type DemoGuestReport } from './common.ts'
import { genRecordsByCpu } from './gen-counts.ts'
import { useColor } from '../tail/color.ts'
import { grouped } from '../tail/visible.ts'
import { CliFailure, UsageError, commanderOutput } from '../errors.ts'
import { integer, oneOf, parseOptions, pathOption, positiveNumber } from '../options.ts'
import { treeEntry } from '../../bin/source-tree.js'

export const demoSchema = z.object({
  kernel: oneOf('--kernel', kernelNames),
  cpus: integer('--cpus', 1, 16, 'a number of CPUs from 1 to 16'),
  records: integer('--records', 1, 1_000_000_000, 'a number of records per CPU from 1 to 1000000000'),
  out: pathOption('--out'),
  rate: integer('--rate', 0, 10_000_000, 'records per second per CPU from 0 (as fast as possible) to 10000000'),
  killCollector: integer('--kill-collector', 0, 10, 'a number of kills from 0 to 10'),
  timeout: positiveNumber('--timeout', 'seconds').optional(),
  keep: z.boolean().default(false),
})

export type DemoOptions = z.output<typeof demoSchema>

export interface DemoResult {
  contents: ArchiveContents
  report: DemoGuestReport
  release: string
  out: string
  durationMs: number
  line: string
  /** on a terminal: how many records the live view did not show, printed before `line` */
  notShown?: string
  /** on a terminal: where the archive is and what to try, printed after `line` */
  hints: string[]
}

export function registerDemo (program: Command): void {
  program.command('demo')
    .configureOutput(commanderOutput('krelay demo'))
    .description('boot a Debian kernel in qemu, load the module, collect N generated records per CPU and archive them to --out')
    .requiredOption('--kernel <version>', `kernel line: ${kernelNames.join(' or ')}`)
    .requiredOption('--cpus <n>', 'virtual CPUs')
    .requiredOption('--records <n>', 'records the generator writes on each CPU')
    .requiredOption('--out <dir>', 'where the archive goes; must not exist or be an empty directory')
    .option('--rate <n>', 'generator records per second per CPU (0: as fast as possible)', String(DEMO_DEFAULT_RATE))
    .option('--kill-collector <n>', 'SIGKILL the collector n times while the generator runs and restart it: shows that a crash loses and duplicates nothing', '0')
    .option('--timeout <seconds>', 'give up on the VM after this long (default: from records and rate)')
    .option('--keep', 'keep the VM run directory (console.log, output.log) even on success')
    .action(async (raw: Record<string, unknown>) => {
      const opts = parseOptions(demoSchema, raw)
      const r = await runDemo(opts)
      process.stdout.write([...(r.notShown !== undefined ? [r.notShown] : []), r.line, ...r.hints].map(l => `${l}\n`).join(''))
    })
}

/** --out must not exist, or be an empty directory. */
export function checkOutDir (out: string): void {
  let stat: fs.Stats
  try {
    stat = fs.statSync(out)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw new UsageError(`--out ${out}: ${(err as Error).message}`)
  }
  if (!stat.isDirectory()) throw new UsageError(`--out ${out} exists and is not a directory: give a new path or an empty directory`)
  if (fs.readdirSync(out).length > 0) throw new UsageError(`--out ${out} is not empty: give a new path or an empty directory (the demo does not mix its archive with other files)`)
}

interface Progress {
  phase(name: string, detail: string): void
  /** lines for stdout, above the live line */
  print(lines: string[]): void
  done(): void
}

/** A live line on a terminal; one line per phase on stderr otherwise. */
async function progress (title: string): Promise<Progress> {
  const t0 = Date.now()
  const secs = (): string => `${((Date.now() - t0) / 1000).toFixed(1)} s`
  // a live line only on a terminal with a size (log-update draws nothing in 0 rows)
  if (!process.stdout.isTTY || !(process.stdout.rows > 0)) {
    return {
      phase: (name, detail) => { process.stderr.write(`krelay demo: [${secs()}] ${name}${detail === '' ? '' : `: ${detail}`}\n`) },
      print: lines => { process.stdout.write(lines.map(l => `${l}\n`).join('')) },
      done: () => {},
    }
  }
  const { default: logUpdate } = await import('log-update')
  let current = 'starting'
  const render = (): void => logUpdate(`krelay demo ${title}: ${current} (${secs()})`)
  const timer = setInterval(render, 200)
  render()
  return {
    phase: (name, detail) => { current = detail === '' ? name : `${name}: ${detail}`; render() },
    print: lines => {
      logUpdate.clear()
      process.stdout.write(lines.map(l => `${l}\n`).join(''))
      render()
    },
    done: () => { clearInterval(timer); logUpdate.clear() },
  }
}

function moveDir (from: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true })
  if (fs.existsSync(to)) fs.rmdirSync(to) // checked empty before the run
  try {
    fs.renameSync(from, to)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err
    fs.cpSync(from, to, { recursive: true })
    fs.rmSync(from, { recursive: true, force: true })
  }
}

export async function runDemo (opts: DemoOptions): Promise<DemoResult> {
  const t0 = Date.now()
  const out = path.resolve(opts.out)
  checkOutDir(out)
  const kernel: KernelName = opts.kernel
  const title = `[${kernel}, ${opts.cpus} CPUs x ${opts.records}]`
  const p = await progress(title)
  // the live view only on a terminal; without one the guest runs as it always did
  const tailColor = process.stdout.isTTY === true ? (useColor('auto', true, process.env) ? 'always' : 'never') : undefined
  let shownRecords = 0
  let runDir: string | undefined
  let keep = opts.keep
  try {
    const { guestEnv, prepare } = await import('../../vm/prepare.ts')
    const { runInVm } = await import('../../vm/vm.ts')
    const { readArchive } = await import('../../offline/read-archive.ts')
    p.phase('prepare', `kernel ${kernel} and the module`)
    const prep = await prepare(kernel, { module: true, log: s => p.phase('prepare', s) })
    const expectedS = opts.rate > 0 ? opts.records / opts.rate : opts.records / 50_000
    const timeoutMs = (opts.timeout ?? Math.max(900, 300 + 4 * expectedS + 120 * opts.killCollector)) * 1000
    let pending = ''
    const boot = () => runInVm({
      kernel,
      tree: prep.tree,
      cpus: opts.cpus,
      memMiB: 2048 + 256 * opts.cpus,
      command: ['node', treeEntry(prep.bin, 'cli/demo/guest.ts'), '--records', String(opts.records), '--rate', String(opts.rate),
        '--kill-collector', String(opts.killCollector), ...(tailColor !== undefined ? ['--tail-color', tailColor] : [])],
      cwd: repoRoot,
      env: guestEnv(prep),
      timeoutMs,
      report: false,
      onConsole: text => {
        const lines = (pending + text).split('\n')
        pending = lines.pop()!
        const shown: string[] = []
        for (const line of lines) {
          const at = line.indexOf(TAIL_PREFIX)
          if (at >= 0) {
            const l = line.slice(at + TAIL_PREFIX.length)
            shown.push(l)
            if (isRecordLine(l)) shownRecords++
            continue
          }
          const m = PHASE_RE.exec(line)
          if (m) p.phase(m[1]!, m[2]!.trim())
        }
        if (shown.length > 0) p.print(shown)
      },
    })
    const readReport = (resultsDir: string): DemoGuestReport | undefined => {
      try {
        return JSON.parse(fs.readFileSync(path.join(resultsDir, DEMO_REPORT), 'utf8')) as DemoGuestReport
      } catch {
        return undefined
      }
    }
    p.phase('boot', `${prep.tree.release}, ${opts.cpus} vCPUs`)
    let vm = await boot()
    let report = readReport(vm.resultsDir)
    if (vm.exitCode === 139 && report === undefined) {
      // node in the TCG guest now and then faults in V8's JIT code (SIGSEGV) while it
      // starts, before the demo did anything: boot once more
      p.phase('boot', `again: the guest's node died of SIGSEGV while starting (a qemu TCG fault), ${vm.runDir} removed`)
      fs.rmSync(vm.runDir, { recursive: true, force: true })
      vm = await boot()
      report = readReport(vm.resultsDir)
    }
    runDir = vm.runDir
    if (report?.error !== undefined) {
      keep = true
      throw new CliFailure(`in the VM (${vm.release}): ${report.error.split('\n')[0]} (logs: ${path.join(vm.runDir, 'output.log')})`)
    }
    if (!vm.ok || report === undefined) {
      keep = true
      throw new CliFailure(`the VM run failed (${vm.release}): ${vm.reason}${report === undefined ? ', no demo report' : ''} (logs: ${vm.runDir})`)
    }
    p.phase('move', `archive to ${out}`)
    moveDir(path.join(vm.resultsDir, DEMO_ARCHIVE), out)
    // the collector stopped: its open hour is closed too, so every hour is compacted as a
    // collector running on would do it five minutes after the hour (formats/ARCHIVE.md)
    p.phase('compact', 'one sorted file per hour (krelay compact --all-hours)')
    const { COMPACT_DEFAULTS, compactSchema, runCompact } = await import('../compact.ts')
    const compacted = await runCompact(out, parseOptions(compactSchema, { allHours: true, ...COMPACT_DEFAULTS }), () => {})
    if (compacted.failed > 0) throw new CliFailure(`compacting ${out}: ${compacted.line}`)
    p.phase('check', 'reading the archive with DuckDB')
    const contents = await readArchive(out)
    const genByCpu = await genRecordsByCpu(out)
    const genRecords = [...genByCpu.values()].reduce((a, b) => a + b, 0)
    const durationMs = Date.now() - t0
    const cpus = report.cpus.length
    const s1 = (ms: number): string => `${(ms / 1000).toFixed(1)} s`
    const kills = report.kills.length === 0
      ? ''
      : `; collector SIGKILLed at ${report.kills.map(k => s1(k.atMs)).join(' and ')} ` +
      `of a ${s1(report.timings.genMs)} generator run, restarted each time`
    const others = contents.records - genRecords
    const line = `krelay demo: ${contents.records} records archived (${cpus} CPUs x ${opts.records}` +
      `${others === 0 ? '' : `, and ${others} exec/fork records from the scheduler`}), ${contents.lostRecords} losses, ` +
      `${contents.recordFiles + contents.lossFiles} files in ${out} (${vm.release}, ${(durationMs / 1000).toFixed(1)} s${kills})`
    const problems = demoProblems(contents, report, opts.records, genByCpu)
    if (problems.length > 0) {
      keep = true
      throw new CliFailure(`${line}: FAILED: ${problems.join('; ')} (logs: ${vm.runDir})`)
    }
    if (tailColor === undefined) return { contents, report, release: vm.release, out, durationMs, line, hints: [] }
    const notShown = `... ${grouped(Math.max(0, contents.records - shownRecords))} more records not shown; see them with krelay tail (while krelay collect runs) or query the archive`
    return { contents, report, release: vm.release, out, durationMs, line, notShown, hints: tryLines(out) }
  } finally {
    p.done()
    if (runDir !== undefined && !keep) fs.rmSync(runDir, { recursive: true, force: true })
  }
}

/** A record line of krelay tail (time, then cpuN), not a loss, skip or message line; colors aside. */
function isRecordLine (line: string): boolean {
  // eslint-disable-next-line no-control-regex -- removes the SGR sequences of a colored line
  return /^\S+ cpu\d+ /.test(line.replace(/\x1b\[[0-9;]*m/g, ''))
}

/** Where the archive is, and what to try next. */
function tryLines (out: string): string[] {
  return [
    `  the archive: ${path.join(out, 'records')} (Parquet, one row per record; formats/ARCHIVE.md has the columns)`,
    `  query it:    node bin/krelay.js query ${out} "SELECT type, level, count(*) FROM records GROUP BY ALL ORDER BY ALL"`,
    `  look at it:  node bin/krelay.js inspect ${out}; node bin/krelay.js report ${out} --out report.html`,
    '  watch live:  node bin/krelay.js tail --level warning   (where krelay collect runs; cli/README.md)',
  ]
}

/**
 * Everything that makes a demo run wrong, empty when it is right. `genByCpu`: generator
 * records per CPU when other records share the archive (the scheduler source); without
 * it every record counts as the generator's.
 */
export function demoProblems (c: ArchiveContents, report: DemoGuestReport, records: number, genByCpu: Map<number, number> = recordsByCpu(c)): string[] {
  const problems: string[] = []
  const cpus = report.cpus
  const gen = [...genByCpu.values()].reduce((a, b) => a + b, 0)
  if (gen !== records * cpus.length) problems.push(`expected ${records * cpus.length} generator records, found ${gen}`)
  for (const cpu of cpus) {
    const n = genByCpu.get(cpu) ?? 0
    if (n !== records && gen !== records * cpus.length) problems.push(`cpu ${cpu}: ${n} generator records`)
  }
  // every CPU's records, whatever their type, hold seq 1..n: nothing missing between them
  for (const p of c.perCpu) {
    if (p.minSeq !== 1 || p.maxSeq !== p.distinctSeqs) problems.push(`cpu ${p.cpu}: seq ${p.minSeq}..${p.maxSeq} holds ${p.distinctSeqs} records (a gap)`)
  }
  if (c.duplicates > 0) problems.push(`${c.duplicates} duplicate (cpu, seq)`)
  if (c.unsortedRows > 0) problems.push(`${c.unsortedRows} rows out of ts order within their file`)
  if (c.lostRecords > 0) problems.push(`${c.lostRecords} records lost`)
  const dropped = report.stats.reduce((s, r) => s + r.dropped, 0)
  if (dropped > 0) problems.push(`the kernel dropped ${dropped} records (collector too slow for --rate ${report.rate})`)
  return problems
}
