// CLI: node --import tsx vm/run.ts --kernel 6.1 [--cpus 2] [--mem 2048] [--timeout 600]
//        [--env K=V]... [--host-path P]... [--no-module] [--live] [--keep] -- <command...>
// Builds kmod/ for the kernel (KRELAY_KO), boots it under qemu, runs the command in the checkout.
// --host-path: a host path under /tmp the command needs (the guest's /tmp is a tmpfs; the rest
// of the host's / is visible read-only anyway).
// The run dir (console.log, output.log, dmesg.log, results/) is kept on failure or with --keep.
// Exit status: 0 only if the command exited 0 and the kernel stayed healthy; 1 otherwise.
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { isKernelName } from './config.ts'
import { guestEnv, prepare } from './prepare.ts'
import { runInVm } from './vm.ts'

const usage = 'usage: run.ts --kernel 6.1|6.12 [--cpus N] [--mem MiB] [--timeout s] [--env K=V]... [--host-path P]... [--no-module] [--live] [--keep] -- <command...>'

function parseEnv (pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {}
  for (const p of pairs) {
    const i = p.indexOf('=')
    if (i <= 0) throw new Error(`--env wants K=V, got ${p}`)
    env[p.slice(0, i)] = p.slice(i + 1)
  }
  return env
}

function posInt (name: string, s: string): number {
  const n = Number(s)
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} wants a positive integer, got ${s}`)
  return n
}

async function main (): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      kernel: { type: 'string', default: '6.1' },
      cpus: { type: 'string', default: '2' },
      mem: { type: 'string', default: '2048' },
      timeout: { type: 'string', default: '600' },
      env: { type: 'string', multiple: true, default: [] },
      'host-path': { type: 'string', multiple: true, default: [] },
      'no-module': { type: 'boolean', default: false },
      live: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help || positionals.length === 0) {
    console.error(usage)
    return values.help ? 0 : 2
  }
  if (!isKernelName(values.kernel)) throw new Error(`unknown kernel ${values.kernel}; ${usage}`)
  const cpus = posInt('cpus', values.cpus)
  const memMiB = posInt('mem', values.mem)
  const timeoutMs = posInt('timeout', values.timeout) * 1000
  const env = parseEnv(values.env)
  const log = (s: string): void => { process.stderr.write(`krelay-vm: ${s}\n`) }
  const p = await prepare(values.kernel, { module: !values['no-module'], log })
  if (p.ko) log(`built ${p.ko}`)
  const r = await runInVm({
    kernel: values.kernel,
    tree: p.tree,
    command: positionals,
    cpus,
    memMiB,
    timeoutMs,
    env: { ...guestEnv(p), ...env },
    hostPaths: values['host-path'].map((h) => path.resolve(h)),
    onConsole: values.live ? (t) => process.stdout.write(t) : undefined,
  })
  if (r.ok && !values.live) process.stdout.write(r.output)
  for (const w of r.warnings) log(w)
  const keep = !r.ok || values.keep
  if (!keep) await rm(r.runDir, { recursive: true, force: true })
  const t = r.timings
  log(
    `${r.ok ? 'PASS' : 'FAIL'} ${values.kernel} (${r.release}): ${r.reason}; ` +
      `init ${t.initMs ?? '-'} ms, total ${r.durationMs} ms${keep ? `; run dir ${r.runDir}` : ''}`
  )
  return r.ok ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`krelay-vm: ${e instanceof Error ? e.message : String(e)}`)
    process.exit(1)
  }
)
