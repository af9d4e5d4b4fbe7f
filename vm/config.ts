// Where things live: the checkout, the cache, and the kernels the harness knows.
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkoutOf } from '../bin/source-tree.js'

/** The checkout: this file's parent folder, or, run from the transpiled tree (.cache/js/<hash>/, vm/transpile.ts), the checkout it was made from. */
export const repoRoot = checkoutOf(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'))

/** Root of the kernel/build/initramfs cache: KRELAY_VM_CACHE or <repo>/.cache/vm. */
export function cacheRoot (): string {
  const env = process.env.KRELAY_VM_CACHE
  return env ? path.resolve(env) : path.join(repoRoot, '.cache', 'vm')
}

export const kernelNames = ['6.1', '6.12'] as const
export type KernelName = (typeof kernelNames)[number]

export function isKernelName (s: string): s is KernelName {
  return (kernelNames as readonly string[]).includes(s)
}

/** Debian meta-packages that name the current ABI of each kernel line. */
export const metaPackages: Record<KernelName, { image: string; headers: string }> = {
  6.1: { image: 'linux-image-amd64', headers: 'linux-headers-amd64' },
  6.12: { image: 'linux-image-6.12-amd64', headers: 'linux-headers-6.12-amd64' },
}

export const qbootRom = '/usr/share/qemu/qboot.rom'

/** A statically linked busybox (package busybox-static). */
export function busyboxPath (): string {
  for (const p of ['/bin/busybox', '/usr/bin/busybox']) if (existsSync(p)) return p
  throw new Error('busybox not found: install the busybox-static package')
}
