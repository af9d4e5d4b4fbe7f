// The per-run files the host puts in the run share: job.env (read by /init) and cmd.sh (pure).

/** Quote for POSIX sh: one word, no expansion. */
export function shQuote (s: string): string {
  return `'${s.replace(/'/g, '\'\\\'\'')}'`
}

export interface Job {
  nonce: string;
  cwd: string;
  command: readonly string[];
  env: Readonly<Record<string, string>>;
  /** Host paths under /tmp the guest must still see although its /tmp is a tmpfs. */
  keep: readonly string[];
}

const envName = /^[A-Za-z_][A-Za-z0-9_]*$/
const keepPath = /^\/tmp\/[A-Za-z0-9._+/-]+$/

export function jobEnv (job: Job): string {
  if (!/^[0-9a-f]{8,64}$/.test(job.nonce)) throw new Error('nonce must be hex')
  for (const p of job.keep) {
    if (!keepPath.test(p) || p.split('/').includes('..')) throw new Error(`cannot expose ${p} in the guest`)
  }
  return `JOB_NONCE=${job.nonce}\nJOB_KEEP=${shQuote(job.keep.join(' '))}\n`
}

/** Run inside the chroot by the host's /bin/sh: cd, then exec with exactly `env`. */
export function cmdScript (job: Job): string {
  if (job.command.length === 0) throw new Error('empty command')
  for (const k of Object.keys(job.env)) if (!envName.test(k)) throw new Error(`bad env name ${JSON.stringify(k)}`)
  const env = Object.entries(job.env).map(([k, v]) => shQuote(`${k}=${v}`))
  return [
    '# generated per run by vm/job.ts',
    `cd ${shQuote(job.cwd)} || { echo "krelay-vm: cannot cd to ${job.cwd.replace(/["$`\\]/g, '')}"; exit 125; }`,
    `exec /usr/bin/env -i ${[...env, ...job.command.map(shQuote)].join(' ')}`,
    '',
  ].join('\n')
}

/** Paths the guest needs that the tmpfs on /tmp would hide. */
export function pathsToKeep (paths: readonly string[]): string[] {
  const under = paths.filter((p) => p.startsWith('/tmp/'))
  if (paths.includes('/tmp')) throw new Error('/tmp itself cannot be shared: the guest mounts a tmpfs there')
  return [...new Set(under)].sort()
}
