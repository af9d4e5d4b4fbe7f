// Fetch a kernel and (optionally) build the module for it: what both CLIs do before booting.
import { type KernelName } from './config.ts'
import { ensureKernel, type KernelTree } from './kernels.ts'
import { buildModule } from './module-build.ts'
import { transpileCommand } from './transpile.ts'

export interface Prepared {
  tree: KernelTree;
  /** Host path of krelay.ko built for this kernel, if a build was asked for. */
  ko?: string;
  /** Host path of the `krelay` command transpiled to JavaScript (vm/transpile.ts) */
  bin: string;
  fetchMs: number;
  buildMs: number;
}

export async function prepare (kernel: KernelName, opts: { module: boolean; log?: (s: string) => void }): Promise<Prepared> {
  const t0 = Date.now()
  const tree = await ensureKernel(kernel, opts.log)
  const t1 = Date.now()
  const ko = opts.module ? (await buildModule(tree)).ko : undefined
  const bin = await transpileCommand()
  return { tree, ko, bin, fetchMs: t1 - t0, buildMs: Date.now() - t1 }
}

/** The guest environment that tells tests where the module is, and which `krelay` to run. */
export function guestEnv (p: Prepared): Record<string, string> {
  return { ...(p.ko ? { KRELAY_KO: p.ko } : {}), KRELAY_BIN: p.bin }
}
