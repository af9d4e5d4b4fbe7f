// Build (and cache) the initramfs for a kernel: static busybox, virtio/9p modules, /init.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { busyboxPath } from './config.ts'
import { cpioNewc, type CpioEntry } from './cpio.ts'
import { isStaticElf } from './elf.ts'
import { initScript } from './init-script.ts'
import type { KernelTree } from './kernels.ts'
import { loadOrder, moduleName, parseBuiltin, parseModulesDep } from './modules-dep.ts'

async function readModule (file: string): Promise<Buffer> {
  if (file.endsWith('.ko')) return readFile(file)
  if (file.endsWith('.ko.gz')) return gunzipSync(await readFile(file))
  const tool = file.endsWith('.ko.xz') ? 'xz' : file.endsWith('.ko.zst') ? 'zstd' : null
  if (!tool) throw new Error(`unknown module compression: ${file}`)
  return execFileSync(tool, ['-dc', file], { maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] })
}

async function moduleFiles (k: KernelTree): Promise<string[]> {
  const deps = parseModulesDep(await readFile(path.join(k.modules, 'modules.dep'), 'utf8'))
  const builtin = parseBuiltin(await readFile(path.join(k.modules, 'modules.builtin'), 'utf8'))
  return loadOrder(deps, builtin)
}

/** Path of a gzip'd newc initramfs for kernel `k`, rebuilt when its inputs change. */
export async function ensureInitramfs (k: KernelTree): Promise<string> {
  const files = await moduleFiles(k)
  const names = files.map((f) => `${moduleName(f)}.ko`)
  const init = initScript({ modules: names })
  const bb = busyboxPath()
  const bbStat = await stat(bb)
  const key = createHash('sha256')
    .update(JSON.stringify({ init, files, bb, size: bbStat.size, mtime: bbStat.mtimeMs }))
    .digest('hex')
    .slice(0, 16)
  const out = path.join(k.dir, `initramfs-${key}.cpio.gz`)
  if (!existsSync(out)) await build(k, files, names, init, bb, out)
  // Drop initramfs images made by older versions of the harness.
  for (const f of await readdir(k.dir)) {
    if (/^initramfs-[0-9a-f]+\.cpio\.gz$/.test(f) && f !== path.basename(out)) await rm(path.join(k.dir, f), { force: true })
  }
  return out
}

async function build (k: KernelTree, files: string[], names: string[], init: string, bb: string, out: string): Promise<void> {
  const busybox = await readFile(bb)
  if (!isStaticElf(busybox)) throw new Error(`${bb} is dynamically linked: install busybox-static, not busybox`)
  const entries: CpioEntry[] = [
    ...['bin', 'dev', 'proc', 'sys', 'tmp', 'lib', 'lib/modules'].map((p): CpioEntry => ({ type: 'dir', path: p })),
    { type: 'chardev', path: 'dev/console', major: 5, minor: 1 },
    { type: 'chardev', path: 'dev/null', major: 1, minor: 3, mode: 0o666 },
    { type: 'file', path: 'bin/busybox', data: busybox, mode: 0o755 },
    { type: 'symlink', path: 'bin/sh', target: 'busybox' },
    { type: 'file', path: 'init', data: Buffer.from(init), mode: 0o755 },
  ]
  for (const [i, f] of files.entries()) {
    entries.push({ type: 'file', path: `lib/modules/${names[i]}`, data: await readModule(path.join(k.modules, f)) })
  }
  const tmp = `${out}.tmp-${process.pid}`
  await writeFile(tmp, gzipSync(cpioNewc(entries), { level: 6 }))
  await rename(tmp, out)
}
