// Build kmod/ out of tree against a cached kernel's headers, in a copy inside the cache.
import { existsSync } from 'node:fs'
import { cp, mkdir, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { repoRoot } from './config.ts'
import { exec, ExecError, tail } from './exec.ts'
import type { KernelTree } from './kernels.ts'

/** Objects and kbuild state from an in-place build in the checkout: never copy them (they name other headers). */
export function isBuildArtifact (name: string): boolean {
  return /\.(o|ko|mod|mod\.c|cmd|d|order|symvers)$|^\.tmp_versions$|^\.cache\.mk$/.test(name)
}

export interface ModuleBuild {
  ko: string;
  log: string;
}

/**
 * Copy <src>/kmod and <src>/formats to <kernel cache>/build/ (the kmod Makefile uses
 * -I$(src)/../formats) and run kbuild there. `src` defaults to the checkout; the
 * env KRELAY_VM_SRC overrides it (for testing the harness with another module).
 */
export async function buildModule (k: KernelTree, src = process.env.KRELAY_VM_SRC ?? repoRoot): Promise<ModuleBuild> {
  const kmod = path.join(src, 'kmod')
  if (!existsSync(path.join(kmod, 'Makefile')) && !existsSync(path.join(kmod, 'Kbuild'))) {
    throw new Error(`${kmod} has no Makefile or Kbuild: nothing to build`)
  }
  const build = path.join(k.dir, 'build')
  await rm(build, { recursive: true, force: true })
  await mkdir(build, { recursive: true })
  const filter = (p: string): boolean => !isBuildArtifact(path.basename(p))
  await cp(kmod, path.join(build, 'kmod'), { recursive: true, filter })
  const formats = path.join(src, 'formats')
  if (existsSync(formats)) await cp(formats, path.join(build, 'formats'), { recursive: true, filter })

  // A clean environment: no MAKEFLAGS/ARCH/CROSS_COMPILE leaking in from npm or the shell.
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', LANG: 'C' }
  const args = ['-C', k.headers, `M=${path.join(build, 'kmod')}`, 'modules']
  let log: string
  try {
    const r = await exec('make', args, { env })
    log = r.stdout + r.stderr
  } catch (e) {
    if (!(e instanceof ExecError)) throw e
    log = e.result.stdout + e.result.stderr
    await writeFile(path.join(build, 'build.log'), log)
    throw new Error(`kmod build failed for ${k.release}:\n${tail(log, 60)}`)
  }
  await writeFile(path.join(build, 'build.log'), log)
  const ko = path.join(build, 'kmod', 'krelay.ko')
  if (!existsSync(ko)) throw new Error(`kmod build for ${k.release} produced no krelay.ko:\n${tail(log, 30)}`)
  return { ko, log }
}
