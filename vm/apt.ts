// Parsing apt-cache output (pure) and asking apt-cache (thin wrappers).
import { exec } from './exec.ts'

/** Package names from `apt-cache depends <pkg>` (Depends and |Depends lines, virtual names skipped). */
export function parseDepends (output: string): string[] {
  const names: string[] = []
  for (const line of output.split('\n')) {
    const m = /^\s*\|?Depends:\s*(\S+)\s*$/.exec(line)
    if (m?.[1] && !m[1].startsWith('<')) names.push(m[1])
  }
  return names
}

/** The Version field of the first stanza of `apt-cache show`. */
export function parseVersion (output: string): string {
  const m = /^Version:\s*(\S+)\s*$/m.exec(output)
  if (!m?.[1]) throw new Error(`no Version field in apt-cache output:\n${output.slice(0, 500)}`)
  return m[1]
}

/** The kernel release a meta-package depends on, e.g. linux-image-amd64 -> 6.1.0-56-amd64. */
export function releaseFromDepends (prefix: 'linux-image-' | 'linux-headers-', deps: string[]): string {
  const hit = deps.find((d) => d.startsWith(prefix) && /^\d/.test(d.slice(prefix.length)))
  if (!hit) throw new Error(`no ${prefix}<release> dependency among: ${deps.join(', ') || '(none)'}`)
  return hit.slice(prefix.length)
}

/** The extra packages the per-flavour headers need: the -common headers and kbuild. */
export function headerSupportPackages (deps: string[]): string[] {
  const common = deps.filter((d) => /^linux-headers-.*-common$/.test(d))
  const kbuild = deps.filter((d) => d.startsWith('linux-kbuild-'))
  if (common.length !== 1 || kbuild.length !== 1) {
    throw new Error(`expected one linux-headers-*-common and one linux-kbuild-* among: ${deps.join(', ')}`)
  }
  return [...common, ...kbuild]
}

const updateHint = 'apt does not know this package; run `apt-get update` once on this machine'

export async function aptDepends (pkg: string): Promise<string[]> {
  const r = await exec('apt-cache', ['depends', pkg], { allowFailure: true })
  const deps = r.code === 0 ? parseDepends(r.stdout) : []
  if (deps.length === 0) throw new Error(`apt-cache depends ${pkg}: ${updateHint}\n${r.stderr.trim()}`)
  return deps
}

export async function aptVersion (pkg: string): Promise<string> {
  const r = await exec('apt-cache', ['show', '--no-all-versions', pkg], { allowFailure: true })
  if (r.code !== 0 || !r.stdout.trim()) throw new Error(`apt-cache show ${pkg}: ${updateHint}\n${r.stderr.trim()}`)
  return parseVersion(r.stdout)
}
