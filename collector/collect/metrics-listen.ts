// The metrics' listen address (krelay collect --metrics host:port, parsed by cli/config/),
// apart from metrics.ts so that the command line knows its error without loading prom-client.

export interface MetricsListen { host: string, port: number }

/** The address could not be listened on (in use, not this machine's): `krelay collect` exits 2. */
export class MetricsListenError extends Error {
  override name = 'MetricsListenError'
}

export function metricsUrl (a: MetricsListen): string {
  return `http://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}/metrics`
}
