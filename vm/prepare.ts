// Fetch a kernel and (optionally) build the module for it: what both CLIs do before booting.
import { type KernelName } from './config.ts'
import { ensureKernel, type KernelTree } from './kernels.ts'
import { buildModule } from './module-build.ts'

export interface Prepared {
  tree: KernelTree;
  /** Host path of krelay.ko built for this kernel, if a build was asked for. */
  ko?: string;
  fetchMs: number;
  buildMs: number;
}

export async function prepare (kernel: KernelName, opts: { module: boolean; log?: (s: string) => void }): Promise<Prepared> {
  const t0 = Date.now()
  const tree = await ensureKernel(kernel, opts.log)
  const t1 = Date.now()
  const ko = opts.module ? (await buildModule(tree)).ko : undefined
  return { tree, ko, fetchMs: t1 - t0, buildMs: Date.now() - t1 }
}

/** The guest environment that tells tests where the module is. */
export function moduleEnv (p: Prepared): Record<string, string> {
  return p.ko ? { KRELAY_KO: p.ko } : {}
}
