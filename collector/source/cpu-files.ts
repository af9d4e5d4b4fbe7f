// Watches a channel directory for cpu<N> files (PROTOCOL.md §1: a CPU that first comes
// online after the module loaded gets its file then) and for the directory going away.
// Measured in the test VM on Debian's 6.1 and 6.12: inotify reports the relay file's
// creation 7-14 ms after the CPU's `online` write, and at rmmod the removal of every file,
// then of the directory; a CPU going offline and online again reports nothing, as its
// file stays.
//
// One fs.watch (inotify) on the directory, with no directory scan per event: every ack
// written to `control` is an event on this directory. chokidar, used here before, read
// the whole directory again after each one: 0.14-0.18 ms of CPU per write on the host, a
// quarter to a third of the capture thread's time in the emulated test VM at 4,000
// records/s (a CPU profile of krelay collect there).
import fs from 'node:fs'
import path from 'node:path'
import { errnoOf } from './errors.ts'

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

/** the directory's inode, or null once it is gone */
function inodeOf (dir: string): number | null {
  try {
    return fs.statSync(dir).ino
  } catch {
    return null
  }
}

export function watchCpuFiles (dir: string, events: CpuFileEvents): CpuFileWatcher {
  const root = path.resolve(dir)
  let closed = false
  let goneSaid = false
  const reported = new Set<number>()
  const report = (name: string): void => {
    const cpu = Number(CPU_FILE.exec(name)?.[1] ?? NaN)
    if (closed || Number.isNaN(cpu) || reported.has(cpu)) return
    reported.add(cpu)
    events.onCpuFile(cpu, path.join(root, name))
  }
  const gone = (): void => {
    if (closed || goneSaid) return
    goneSaid = true
    events.onGone()
  }
  const fail = (err: unknown): void => { if (!closed) events.onError(err as Error) }

  // The watch starts before the scan, so a file created meanwhile is in one or the other.
  let watcher: fs.FSWatcher | null = null
  let ino: number | null = null
  try {
    watcher = fs.watch(root, (type, name) => {
      // 'change' is a write to a file (acks to control): nothing appeared or went
      if (closed || type !== 'rename') return
      if (name !== null && CPU_FILE.test(name)) {
        if (fs.existsSync(path.join(root, name))) report(name)
        return
      }
      // the directory itself, or another file created or removed: is it still the same directory?
      if (inodeOf(root) !== ino) gone()
    })
    watcher.on('error', fail)
    ino = inodeOf(root)
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT') fail(err)
  }
  // reported after the caller has its watcher, as events are
  const ready = new Promise<void>(resolve => setImmediate(resolve)).then(() => {
    if (closed) return
    if (watcher === null || ino === null) return gone()
    try {
      for (const name of fs.readdirSync(root)) report(name)
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') gone()
      else fail(err)
    }
  })
  return {
    ready,
    close: async () => {
      closed = true
      watcher?.close()
    },
  }
}
