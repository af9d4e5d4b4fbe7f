// Watches a channel directory for cpu<N> files (PROTOCOL.md §1: a CPU that first comes
// online after the module loaded gets its file then) and for the directory going away.
// Measured in the test VM on Debian's 6.1 and 6.12: inotify reports the relay file's
// creation 7-14 ms after the CPU's `online` write (chokidar 22-33 ms), and at rmmod the
// removal of every file, then of the directory; a CPU going offline and online again
// reports nothing, as its file stays.
import fs from 'node:fs'
import path from 'node:path'
import { watch } from 'chokidar'

export interface CpuFileEvents {
  /** cpu<N> exists: files already there (the initial scan), then each one that appears; once per CPU */
  onCpuFile(cpu: number, file: string): void
  /**
   * The directory was removed: the module is gone. Not the cpu<N> files: at rmmod they
   * go first, while `info` and `stats` are still there and the module refuses commands.
   */
  onGone(): void
  onError(err: Error): void
}

export interface CpuFileWatcher {
  /** resolves once the initial scan has been reported */
  ready: Promise<void>
  /** releases every handle; no event is reported after it resolves */
  close(): Promise<void>
}

const CPU_FILE = /^cpu(\d+)$/

export function watchCpuFiles (dir: string, events: CpuFileEvents): CpuFileWatcher {
  const root = path.resolve(dir)
  const watcher = watch(root, {
    depth: 0,
    ignoreInitial: false,
    // an add at once, never folded with an unlink just before it into a 'change'
    atomic: false,
    ignored: (p: string) => p !== root && !CPU_FILE.test(path.basename(p)),
  })
  let closed = false
  const reported = new Set<number>()
  const report = (name: string): void => {
    const cpu = Number(CPU_FILE.exec(name)?.[1] ?? NaN)
    if (closed || Number.isNaN(cpu) || reported.has(cpu)) return
    reported.add(cpu)
    events.onCpuFile(cpu, path.join(root, name))
  }
  watcher.on('add', p => report(path.basename(p)))
  watcher.on('unlinkDir', p => { if (!closed && p === root) events.onGone() })
  watcher.on('error', err => { if (!closed) events.onError(err as Error) })
  // chokidar reads the directory, then starts watching it: a file created in between is
  // in neither, so once the watch is on (ready), read the directory again
  const ready = new Promise<void>(resolve => watcher.once('ready', resolve)).then(() => {
    if (closed) return
    try {
      for (const name of fs.readdirSync(root)) report(name)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') events.onError(err as Error)
    }
  })
  return {
    ready,
    close: async () => {
      closed = true
      await watcher.close()
    },
  }
}
