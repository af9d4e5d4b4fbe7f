// SIGINT/SIGTERM stop a long-running command cleanly: the first aborts the signal
// (the command flushes, reads what is left, publishes and exits 0); a second one exits at once.
export function stopOnSignals (log: (line: string) => void): { signal: AbortSignal, dispose(): void } {
  const controller = new AbortController()
  const onSignal = (name: NodeJS.Signals): void => {
    if (!controller.signal.aborted) {
      log(`${name}: stopping (again to exit at once)`)
      controller.abort()
      return
    }
    log(`${name} again: exiting now; what was not archived yet stays in the spool for the next run`)
    process.exit(130)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    signal: controller.signal,
    dispose () {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    },
  }
}

/**
 * SIGINT/SIGTERM end a command that reads with DuckDB (krelay query, inspect): `interrupt`
 * (DuckDBConnection.interrupt) makes the running query fail, so that the command's
 * cleanup runs (its spill directory is removed); `interrupted` says whether it happened.
 */
export function interruptOnSignals (interrupt: () => void): { interrupted(): boolean, dispose(): void } {
  let got = false
  const onSignal = (): void => {
    got = true
    interrupt()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    interrupted: () => got,
    dispose () {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    },
  }
}
