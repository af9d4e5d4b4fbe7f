// @riaskov/mmap-io, typed as it behaves under ESM: its d.ts declares `export default` on a
// CommonJS module, so TypeScript (NodeNext) types the default import as the namespace,
// while Node hands over module.exports, which is the binding itself.
import mmapModule from '@riaskov/mmap-io'

type MmapIo = typeof mmapModule.default
const loaded = mmapModule as unknown as MmapIo & { default?: MmapIo }

export const mmap: MmapIo = loaded.default ?? loaded
