// CPU time of this process (user + system, every thread), in ms. The benchmarks time
// single-threaded work with it rather than wall time: the machine they run on is shared,
// and CPU time does not count the time another process held the core.
export function cpuMs (): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}
