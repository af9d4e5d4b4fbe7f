import assert from 'node:assert/strict'
import { test } from 'node:test'
import { bootModules, loadOrder, moduleName, parseBuiltin, parseModulesDep } from '../../../vm/modules-dep.ts'

// Shapes of the real files (depmod output) of Debian 6.1 and 6.12.
const dep61 = `kernel/fs/netfs/netfs.ko:
kernel/fs/fscache/fscache.ko: kernel/fs/netfs/netfs.ko
kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/fscache/fscache.ko kernel/fs/netfs/netfs.ko
kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/virtio/virtio_pci_modern_dev.ko:
kernel/drivers/virtio/virtio_pci_legacy_dev.ko:
kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/net/9p/9pnet.ko:
kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko
`
const dep612 = `kernel/fs/netfs/netfs.ko.xz:
kernel/fs/9p/9p.ko.xz: kernel/net/9p/9pnet.ko.xz kernel/fs/netfs/netfs.ko.xz
kernel/net/9p/9pnet.ko.xz: kernel/fs/netfs/netfs.ko.xz
kernel/net/9p/9pnet_virtio.ko.xz: kernel/net/9p/9pnet.ko.xz kernel/fs/netfs/netfs.ko.xz
`
const builtin612 = parseBuiltin(
  ['virtio_ring', 'virtio', 'virtio_pci_legacy_dev', 'virtio_pci_modern_dev', 'virtio_pci']
    .map((m) => `kernel/drivers/virtio/${m}.ko`)
    .join('\n')
)

test('moduleName strips dir, .ko and compression, maps - to _', () => {
  assert.equal(moduleName('kernel/fs/9p/9p.ko.xz'), '9p')
  assert.equal(moduleName('kernel/drivers/foo/bar-baz.ko'), 'bar_baz')
})

test('6.1: everything is modular; order is the known-good one', () => {
  const order = loadOrder(parseModulesDep(dep61), new Set()).map(moduleName)
  assert.deepEqual(order, [...bootModules])
})

test('6.12: virtio built in, fscache folded into netfs', () => {
  const order = loadOrder(parseModulesDep(dep612), builtin612).map(moduleName)
  assert.deepEqual(order, ['netfs', '9pnet', '9pnet_virtio', '9p'])
})

test('dependencies load first even when the wanted order says otherwise', () => {
  const deps = parseModulesDep('a.ko: b.ko\nb.ko:\n')
  assert.deepEqual(loadOrder(deps, new Set(), ['a', 'b'], ['a']), ['b.ko', 'a.ko'])
})

test('a required module that is neither modular nor built in is an error', () => {
  assert.throws(() => loadOrder(parseModulesDep(dep612), new Set()), /virtio_pci/)
})

test('cycles are reported', () => {
  assert.throws(() => loadOrder(parseModulesDep('a.ko: b.ko\nb.ko: a.ko\n'), new Set(), ['a'], []), /cycle/)
})
