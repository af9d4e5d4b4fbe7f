// The metrics' listen address (krelay collect --metrics host:port), apart from metrics.ts
// so that the command line parses it without loading prom-client.

export interface MetricsListen { host: string, port: number }

/** The address could not be listened on (in use, not this machine's): `krelay collect` exits 2. */
export class MetricsListenError extends Error {
  override name = 'MetricsListenError'
}

/** `host:port` or `[ipv6]:port`, port 0..65535 (0: any free port); undefined when it is not one. */
export function parseListen (s: string): MetricsListen | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(s)
  if (m === null) return undefined
  const port = Number(m[3])
  return port <= 65535 ? { host: m[1] ?? m[2]!, port } : undefined
}

export function metricsUrl (a: MetricsListen): string {
  return `http://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}/metrics`
}
