// Which kernel modules the initramfs must insmod, in dependency order (pure).

/** The modules the guest needs for virtio-pci + 9p, in the order known to work (notes). */
export const bootModules = [
  'virtio_ring',
  'virtio',
  'virtio_pci_legacy_dev',
  'virtio_pci_modern_dev',
  'virtio_pci',
  'netfs',
  'fscache',
  '9pnet',
  '9pnet_virtio',
  '9p',
] as const

/** What the guest cannot boot without (fscache, for one, is gone as a module in 6.12). */
export const requiredModules = ['virtio_pci', '9pnet_virtio', '9p'] as const

/** modules.dep: `kernel/fs/9p/9p.ko.xz: kernel/net/9p/9pnet.ko.xz ...` -> path -> deps. */
export function parseModulesDep (text: string): Map<string, string[]> {
  const deps = new Map<string, string[]>()
  for (const line of text.split('\n')) {
    const i = line.indexOf(':')
    if (i <= 0) continue
    const rest = line.slice(i + 1).trim()
    deps.set(line.slice(0, i).trim(), rest ? rest.split(/\s+/) : [])
  }
  return deps
}

/** kernel/fs/9p/9p.ko.xz -> 9p (module names treat - and _ alike; kbuild file names use either). */
export function moduleName (file: string): string {
  const base = file.slice(file.lastIndexOf('/') + 1)
  return base.replace(/\.ko(\.(xz|zst|gz))?$/, '').replace(/-/g, '_')
}

/**
 * Module files to load, dependencies first: every wanted module that exists as a module
 * (built-in or absent ones are skipped), plus anything modules.dep says they need, in the
 * wanted order where the dependencies allow it. A required module must exist somehow.
 */
export function loadOrder (
  deps: Map<string, string[]>,
  builtin: ReadonlySet<string>,
  wanted: readonly string[] = bootModules,
  required: readonly string[] = requiredModules
): string[] {
  const byName = new Map<string, string>()
  for (const file of deps.keys()) byName.set(moduleName(file), file)
  const order: string[] = []
  const seen = new Set<string>()
  const visit = (file: string, trail: string[]): void => {
    if (seen.has(file)) return
    if (trail.includes(file)) throw new Error(`module dependency cycle: ${[...trail, file].join(' -> ')}`)
    for (const d of deps.get(file) ?? []) visit(d, [...trail, file])
    seen.add(file)
    order.push(file)
  }
  for (const name of wanted) {
    const file = byName.get(name)
    if (file) visit(file, [])
  }
  for (const name of required) {
    if (!byName.has(name) && !builtin.has(name)) throw new Error(`kernel has no ${name}, neither as module nor built in`)
    const file = byName.get(name)
    if (file) visit(file, [])
  }
  return order
}

/** modules.builtin lines (`kernel/drivers/virtio/virtio.ko`) -> set of module names. */
export function parseBuiltin (text: string): Set<string> {
  return new Set(text.split('\n').filter(Boolean).map(moduleName))
}
