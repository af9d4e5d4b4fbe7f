// Fetch a Debian kernel image + headers into the cache, keyed by exact version.
import { existsSync } from 'node:fs'
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { aptDepends, aptVersion, headerSupportPackages, releaseFromDepends } from './apt.ts'
import { cacheRoot, metaPackages, type KernelName } from './config.ts'
import { exec } from './exec.ts'

export interface KernelTree {
  name: KernelName;
  /** uname -r of the guest, e.g. 6.1.0-56-amd64 */
  release: string;
  /** Debian package version of the image, e.g. 6.1.192-2 */
  version: string;
  /** Cache entry for this exact version; holds root/, build/, initramfs files. */
  dir: string;
  /** dpkg -x target: boot/, lib/modules/, usr/src/ */
  root: string;
  vmlinuz: string;
  headers: string;
  modules: string;
}

export interface KernelPlan {
  name: KernelName;
  release: string;
  version: string;
  packages: string[];
}

/** Ask apt which exact packages make up kernel `name` right now. */
export async function resolveKernel (name: KernelName): Promise<KernelPlan> {
  const meta = metaPackages[name]
  const release = releaseFromDepends('linux-image-', await aptDepends(meta.image))
  const hdrRelease = releaseFromDepends('linux-headers-', await aptDepends(meta.headers))
  if (hdrRelease !== release) {
    throw new Error(`${meta.image} -> ${release} but ${meta.headers} -> ${hdrRelease}; mirror mid-update? retry later`)
  }
  if (!release.startsWith(`${name}.`)) throw new Error(`${meta.image} resolves to ${release}, not a ${name} kernel`)
  const image = `linux-image-${release}`
  const headers = `linux-headers-${release}`
  const support = headerSupportPackages(await aptDepends(headers))
  return { name, release, version: await aptVersion(image), packages: [image, headers, ...support] }
}

export function entryDirName (release: string, version: string): string {
  return `${release}_${version}`.replace(/[^A-Za-z0-9._+-]/g, '_')
}

function tree (plan: KernelPlan, dir: string): KernelTree {
  const root = path.join(dir, 'root')
  return {
    name: plan.name,
    release: plan.release,
    version: plan.version,
    dir,
    root,
    vmlinuz: path.join(root, 'boot', `vmlinuz-${plan.release}`),
    headers: path.join(root, 'usr', 'src', `linux-headers-${plan.release}`),
    modules: path.join(root, 'lib', 'modules', plan.release),
  }
}

/** Point the headers Makefile's absolute `include /usr/src/...` into the extracted tree (idempotent). */
export function patchHeadersMakefile (text: string, root: string): string {
  const re = /^include[ \t]+\S*?(\/usr\/src\/linux-headers-[^/\s]+\/Makefile)[ \t]*$/m
  if (!re.test(text)) throw new Error(`headers Makefile has no include /usr/src/... line:\n${text}`)
  return text.replace(re, (_all, rel: string) => `include ${root}${rel}`)
}

async function patchHeaders (t: KernelTree): Promise<void> {
  const mk = path.join(t.headers, 'Makefile')
  const before = await readFile(mk, 'utf8')
  const after = patchHeadersMakefile(before, t.root)
  if (after !== before) await writeFile(mk, after)
}

async function download (plan: KernelPlan, tmp: string): Promise<void> {
  const debs = path.join(tmp, 'debs')
  const root = path.join(tmp, 'root')
  await mkdir(debs, { recursive: true })
  await mkdir(root, { recursive: true })
  await exec('apt-get', ['download', ...plan.packages], { cwd: debs }).catch((e: unknown) => {
    const msg = e instanceof Error ? e.message : String(e)
    throw new Error(`${msg}\n(if the mirror no longer has this version, the apt lists are stale: run apt-get update)`)
  })
  const files = (await readdir(debs)).filter((f) => f.endsWith('.deb'))
  if (files.length !== plan.packages.length) throw new Error(`apt-get download left ${files.join(', ')}`)
  for (const f of files) await exec('dpkg', ['-x', path.join(debs, f), root])
  await rm(debs, { recursive: true, force: true })
  // The image package ships no modules.dep (postinst makes it); the initramfs needs it.
  await exec('depmod', ['-b', root, plan.release])
}

const stamp = 'complete.json'

/** Make sure kernel `name` (current ABI per apt) is extracted in the cache; fetch it if not. */
export async function ensureKernel (name: KernelName, log: (s: string) => void = () => {}): Promise<KernelTree> {
  const plan = await resolveKernel(name)
  const dir = path.join(cacheRoot(), entryDirName(plan.release, plan.version))
  const t = tree(plan, dir)
  if (!existsSync(path.join(dir, stamp))) {
    log(`fetching ${plan.packages.join(' ')} (${plan.version})`)
    const tmp = `${dir}.tmp-${process.pid}`
    await rm(tmp, { recursive: true, force: true })
    await download(plan, tmp)
    await writeFile(path.join(tmp, stamp), JSON.stringify(plan, null, 2) + '\n')
    await rm(dir, { recursive: true, force: true })
    await rename(tmp, dir)
  }
  for (const p of [t.vmlinuz, t.headers, path.join(t.modules, 'modules.dep')]) {
    if (!existsSync(p)) throw new Error(`kernel cache ${dir} is incomplete: ${p} missing; delete the directory`)
  }
  await patchHeaders(t)
  return t
}
