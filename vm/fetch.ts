// Fetches the VM kernels (image + headers from Debian's apt) and builds the module for
// each, so a fresh machine has everything before the first test: used by setup.sh.
import { kernelNames } from './config.ts'
import { prepare } from './prepare.ts'

for (const kernel of kernelNames) {
  const p = await prepare(kernel, { module: true, log: line => process.stderr.write(`${line}\n`) })
  process.stdout.write(`krelay-vm: ${kernel}: ${p.tree.release} ready (fetch ${p.fetchMs} ms, module build ${p.buildMs} ms)\n`)
}
