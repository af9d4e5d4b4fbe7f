// Why a channel cannot be opened or mapped, each with the fix.
import fs from 'node:fs'
import path from 'node:path'

export type ChannelErrorCode =
  | 'no-directory' | 'debugfs-not-mounted' | 'module-not-loaded' | 'not-root' | 'locked-down'
  | 'not-a-channel' | 'mmap-refused' | 'io'
  /** another live process consumes the channel (PROTOCOL.md §6.1) */
  | 'claimed'

export class ChannelError extends Error {
  override name = 'ChannelError'
  constructor (readonly code: ChannelErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/** Where the diagnosis looks; tests point these at fakes. */
export interface SystemPaths {
  procMounts: string
  debugfsRoot: string
  sysModule: string
  lockdown: string
}

export const DEFAULT_SYSTEM_PATHS: SystemPaths = {
  procMounts: '/proc/mounts',
  debugfsRoot: '/sys/kernel/debug',
  sysModule: '/sys/module/krelay',
  lockdown: '/sys/kernel/security/lockdown',
}

function readOr (file: string, fallback: string): string {
  try { return fs.readFileSync(file, 'latin1') } catch { return fallback }
}

function isUnder (dir: string, root: string): boolean {
  const rel = path.relative(root, dir)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}

/** Mount points of debugfs in /proc/mounts (fields: device mountpoint fstype ...). */
export function debugfsMountPoints (procMountsText: string): string[] {
  return procMountsText.split('\n')
    .map((line) => line.split(' '))
    .filter((fields) => fields[2] === 'debugfs')
    .map((fields) => fields[1]!.replace(/\\040/g, ' '))
}

/** The channel directory does not exist: say which of its preconditions is missing. */
export function explainMissingDirectory (dir: string, sys: SystemPaths): ChannelError {
  const mounts = debugfsMountPoints(readOr(sys.procMounts, ''))
  const mounted = mounts.some((mountPoint) => isUnder(dir, mountPoint))
  if (!mounted && isUnder(dir, sys.debugfsRoot)) {
    return new ChannelError('debugfs-not-mounted',
      `${dir} does not exist: debugfs is not mounted at ${sys.debugfsRoot} (not in ${sys.procMounts}); ` +
      `mount it with: mount -t debugfs none ${sys.debugfsRoot}`)
  }
  if (mounted && !fs.existsSync(sys.sysModule)) {
    return new ChannelError('module-not-loaded',
      `${dir} does not exist: the krelay module is not loaded (no ${sys.sysModule}); load it with: insmod krelay.ko`)
  }
  // rmmod and insmod leave a window where /sys/module/krelay exists without the files
  const state = readOr(`${sys.sysModule}/initstate`, '').trim()
  if (mounted && (state === 'going' || state === 'coming')) {
    return new ChannelError('module-not-loaded',
      `${dir} does not exist: the krelay module is being ${state === 'going' ? 'unloaded' : 'loaded'} (${sys.sysModule}/initstate: ${state})`)
  }
  return new ChannelError('no-directory', `${dir} does not exist` +
    (mounted ? ` although krelay is loaded (${sys.sysModule} exists): is this the right channel directory?` : ''))
}

function lockdownMode (sys: SystemPaths): string {
  const text = readOr(sys.lockdown, '')
  return /\[(\w+)\]/.exec(text)?.[1] ?? 'unknown'
}

/** An errno from open/read/mmap of a channel file, explained. `errno` is the code name (EPERM ...). */
export function explainFileError (file: string, errno: string, what: string, sys: SystemPaths, cause?: unknown): ChannelError {
  switch (errno) {
    case 'EACCES':
      return new ChannelError('not-root',
        `${what} ${file}: permission denied (EACCES): krelay's debugfs files are root-only ` +
        `and ${sys.debugfsRoot} is mode 0700; run the collector as root`, { cause })
    case 'EPERM':
      return new ChannelError('locked-down',
        `${what} ${file}: operation not permitted (EPERM): the kernel is locked down ` +
        `(lockdown mode: ${lockdownMode(sys)}, see ${sys.lockdown}) and debugfs refuses to open or mmap ` +
        'files that can be mapped; krelay needs a kernel booted without lockdown ' +
        '(no lockdown= on the command line, Secure Boot off)', { cause })
    case 'ENOENT':
      return new ChannelError('not-a-channel', `${what} ${file}: no such file: the module is unloading or this is not a krelay channel directory`, { cause })
    case 'ENXIO':
      // debugfs refuses reads of a file being removed: seen when a reader passes during rmmod
      return new ChannelError('not-a-channel', `${what} ${file}: no such device (ENXIO): the module is unloading`, { cause })
    case 'EINVAL':
      return new ChannelError('mmap-refused',
        `${what} ${file}: invalid argument (EINVAL): the mapping length (subbuf_size * n_subbufs from info) ` +
        'is not the buffer\'s size', { cause })
    case 'ENODEV':
      return new ChannelError('mmap-refused',
        `${what} ${file}: the file does not support mmap (ENODEV): the module must create cpu files ` +
        'with debugfs_create_file_unsafe()', { cause })
    default:
      return new ChannelError('io', `${what} ${file}: ${errno}`, { cause })
  }
}

export function errnoOf (err: unknown): string {
  return (err as NodeJS.ErrnoException | null)?.code ?? 'EUNKNOWN'
}
