// runInVm: boot a Debian kernel under qemu TCG and run one command in the checkout, in the guest.
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { qbootRom, repoRoot, type KernelName } from './config.ts'
import { tail } from './exec.ts'
import { ensureInitramfs } from './initramfs.ts'
import { cmdScript, jobEnv, pathsToKeep } from './job.ts'
import { ensureKernel, type KernelTree } from './kernels.ts'
import { guestResultsDir, runFiles } from './layout.ts'
import { qemuArgs } from './qemu-args.ts'
import { runQemu } from './qemu-run.ts'
import { guestWarnings, judge } from './verdict.ts'

export interface VmRunOptions {
  kernel: KernelName;
  command: readonly string[];
  cpus?: number;
  memMiB?: number;
  /** Added to the guest's environment (which otherwise holds only what the harness sets). */
  env?: Readonly<Record<string, string>>;
  timeoutMs?: number;
  /** Host directory to run in (default: the checkout); the guest sees the host's / read-only. */
  cwd?: string;
  /** Other host paths the command uses; needed only for paths under /tmp (the guest's /tmp is a tmpfs). */
  hostPaths?: readonly string[];
  /** Directory for this run's share (default: a fresh temp dir). Must be empty. */
  runDir?: string;
  /** Called with every piece of serial console output as it arrives. */
  onConsole?: (text: string) => void;
  /** On failure, print the reason and the console's tail to stderr (default true). */
  report?: boolean;
  /** Use this already fetched kernel instead of resolving `kernel` again. */
  tree?: KernelTree;
}

export interface VmRunResult {
  ok: boolean;
  reason: string;
  /** The command's exit status; null if it did not finish. */
  exitCode: number | null;
  /** Serial console (kernel log and command output interleaved). */
  console: string;
  /** The command's own stdout+stderr, from the run share. */
  output: string;
  /** Host path of KRELAY_RESULTS (what the command wrote there). */
  resultsDir: string;
  /** Host path of the whole run share: console.log, output.log, dmesg.log, status, marker. */
  runDir: string;
  durationMs: number;
  /** Things /init noticed that did not fail the run (e.g. processes left running). */
  warnings: string[];
  /** ms from qemu start to: guest /init running, command start, command end. */
  timings: { initMs?: number; commandStartMs?: number; commandEndMs?: number };
  release: string;
}

const guestPath = (): string =>
  [path.dirname(process.execPath), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']
    .filter((p, i, all) => all.indexOf(p) === i)
    .join(':')

async function readOrNull (p: string): Promise<string | null> {
  return existsSync(p) ? readFile(p, 'utf8') : null
}

export async function runInVm (o: VmRunOptions): Promise<VmRunResult> {
  const cpus = o.cpus ?? 2
  const timeoutMs = o.timeoutMs ?? 10 * 60_000
  const k = o.tree ?? (await ensureKernel(o.kernel))
  const initrd = await ensureInitramfs(k)
  const runDir = o.runDir ?? (await mkdtemp(path.join(os.tmpdir(), `krelay-vm-${o.kernel}-`)))
  if ((await readdir(runDir)).length) throw new Error(`run dir ${runDir} is not empty`)
  await mkdir(path.join(runDir, runFiles.results), { recursive: true })

  const cwd = path.resolve(o.cwd ?? repoRoot)
  const nonce = randomBytes(12).toString('hex')
  const env: Record<string, string> = {
    PATH: guestPath(),
    HOME: '/tmp',
    TMPDIR: '/tmp',
    LANG: 'C.UTF-8',
    NO_COLOR: '1',
    KRELAY_IN_VM: '1',
    KRELAY_KERNEL: o.kernel,
    KRELAY_KERNEL_RELEASE: k.release,
    KRELAY_VM_CPUS: String(cpus),
    KRELAY_RESULTS: guestResultsDir,
    ...o.env,
  }
  const keep = pathsToKeep([cwd, k.dir, ...(o.hostPaths ?? [])])
  const job = { nonce, cwd, command: o.command, env, keep }
  await writeFile(path.join(runDir, runFiles.job), jobEnv(job))
  await writeFile(path.join(runDir, runFiles.cmd), cmdScript(job))

  const args = qemuArgs({ vmlinuz: k.vmlinuz, initrd, runDir, cpus, memMiB: o.memMiB ?? 2048, bios: qbootRom })
  const consolePath = path.join(runDir, runFiles.console)
  const q = await runQemu({ args, consolePath, timeoutMs, onConsole: o.onConsole })

  const read = (f: string): Promise<string | null> => readOrNull(path.join(runDir, f))
  const verdict = judge({
    nonce,
    console: q.console,
    marker: await read(runFiles.marker),
    dmesg: await read(runFiles.dmesg),
    tainted: await read(runFiles.tainted),
    qemuCode: q.code,
    qemuSignal: q.signal,
    qemuStderr: q.stderr,
    timedOut: q.timedOut,
    timeoutMs,
  })
  const result: VmRunResult = {
    ...verdict,
    console: q.console,
    output: (await read(runFiles.output)) ?? '',
    resultsDir: path.join(runDir, runFiles.results),
    runDir,
    durationMs: q.durationMs,
    warnings: guestWarnings(q.console),
    timings: { initMs: q.marks.init, commandStartMs: q.marks.start, commandEndMs: q.marks.end },
    release: k.release,
  }
  if (!result.ok && o.report !== false) {
    process.stderr.write(
      `\n--- krelay-vm ${o.kernel} (${k.release}): last 150 console lines (${consolePath}) ---\n` +
        `${tail(q.console, 150)}\n--- FAILED: ${result.reason} ---\n`
    )
  }
  return result
}
