// SIGHUP under `krelay collect`: the configuration is loaded again from the same sources
// (the file, the environment and the flags the collector started with: cli/config/load.ts)
// and what can change live is applied (collector/collect/settings.ts); each change is
// logged, and so is each change the collector cannot make without a restart. A file that
// does not load is refused with its error, and the collector goes on as it was. SIGHUP is
// handled for the whole run: Node's default for it is to exit.
import type { CollectorHandle, LiveSettings } from '../../collector/collect/settings.ts'
import { settingsChanges } from '../../collector/collect/settings.ts'
import { changes } from '../config/diff.ts'
import { FIELDS, splitPath, valueOf, type ServiceConfig } from '../config/fields.ts'
import { loadConfig, type ConfigSources, type LoadedConfig } from '../config/load.ts'

const MiB = 1024 * 1024

/** What of `c` the collector changes live, in its units (bytes, ms). */
export function liveSettings (c: ServiceConfig): LiveSettings {
  return {
    level: c.level,
    fsync: c.spool.fsync,
    segmentBytes: Math.round(c.spool.segment_size_mib * MiB),
    segmentAgeMs: Math.round(c.spool.segment_age_seconds * 1000),
    spoolBudgetBytes: Math.round(c.spool.budget_mib * MiB),
    maxFileBytes: Math.round(c.archive.file_size_mib * MiB),
    maxAgeSeconds: c.archive.file_age_seconds,
    // no live server, no queue: a reload has nothing to change there
    liveQueueBytes: c.live.enabled ? Math.round(c.live.queue_mib * MiB) : undefined,
  }
}

function setAt (c: ServiceConfig, p: string, v: unknown): void {
  const [section, key] = splitPath(p)
  const holder = (section === '' ? c : c[section as keyof ServiceConfig]) as Record<string, unknown>
  holder[key] = v
}

export interface ReloadOptions {
  /** the sources the collector's configuration was loaded from; loaded again, as they are, at each SIGHUP */
  sources: ConfigSources
  /** what the collector started with */
  loaded: LoadedConfig
  /** a stop began: a reload then changes nothing */
  stopping: AbortSignal
  log: (line: string) => void
}

export class Reloader {
  /** the configuration in force: as started for what needs a restart, as last applied for the rest */
  private running: ServiceConfig
  private handle: CollectorHandle | undefined
  /** settings a reload took before the collector ran, applied once it does */
  private pending: LiveSettings | undefined
  private readonly onSignal = (): void => this.reload()

  constructor (private readonly opts: ReloadOptions) {
    this.running = structuredClone(opts.loaded.config)
  }

  /** Handles SIGHUP from now on, until dispose(). */
  listen (): this {
    process.on('SIGHUP', this.onSignal)
    return this
  }

  dispose (): void {
    process.off('SIGHUP', this.onSignal)
  }

  /** The collector runs (CollectOptions.onHandle): a reload taken before it is applied now. */
  attach (handle: CollectorHandle): void {
    this.handle = handle
    const pending = this.pending
    this.pending = undefined
    if (pending !== undefined) this.applyLive(pending)
  }

  /** One SIGHUP. Never throws: whatever goes wrong is logged and the collector goes on. */
  reload (): void {
    const { log, loaded } = this.opts
    if (this.opts.stopping.aborted) {
      log('SIGHUP while stopping: nothing reloaded')
      return
    }
    if (loaded.file === undefined) {
      log('SIGHUP: no configuration file (--config FILE or KRELAY_CONFIG): nothing to reload')
      return
    }
    let next: LoadedConfig
    try {
      next = loadConfig(this.opts.sources)
    } catch (err) {
      log(`reload refused: ${(err as Error).message} (going on with the configuration it had)`)
      return
    }
    log(`SIGHUP: reloaded ${next.file ?? loaded.file}`)
    const restart = changes(this.running, next.config).filter(c => !c.field.live)
    for (const c of restart) log(`reload: ${c.field.path} changed in ${next.file ?? loaded.file}, needs a restart (keeps ${c.from})`)
    // what runs from now on: the new live fields, the old others
    const kept = structuredClone(next.config)
    for (const field of FIELDS) if (!field.live) setAt(kept, field.path, valueOf(this.running, field))
    const applied = this.applyLive(liveSettings(next.config))
    if (applied === undefined) return
    this.running = kept
    if (applied === 0 && restart.length === 0) log('reload: nothing changed')
  }

  /** Applies `settings`, logging each change; how many there were, or undefined if refused. */
  private applyLive (settings: LiveSettings): number | undefined {
    const { log } = this.opts
    if (this.handle === undefined) {
      const lines = settingsChanges(this.pending ?? liveSettings(this.running), settings)
      for (const line of lines) log(`reload: ${line} (applied once the collector runs)`)
      this.pending = settings
      return lines.length
    }
    let lines: string[]
    try {
      lines = this.handle.apply(settings)
    } catch (err) {
      log(`reload refused: ${(err as Error).message} (going on with the configuration it had)`)
      return undefined
    }
    for (const line of lines) log(`reload: ${line}`)
    return lines.length
  }
}
