// The benchmark convention of issue 9, shared by the scripts in bench/: quick mode, and
// the goal line each benchmark ends with (bench/run.ts collects these lines).
//
//   bench <name>: <figure> <unit>; <ratio>x <baseline>; goal <goal>: met|missed

/** `--quick` on the command line or KRELAY_BENCH_QUICK=1: small counts, for CI. */
export function isQuick (argv: readonly string[] = process.argv): boolean {
  return argv.includes('--quick') || process.env.KRELAY_BENCH_QUICK === '1'
}

export interface Goal {
  name: string
  /** the measured figure with its unit, e.g. "1.21 M records/s" */
  figure: string
  ratio: number
  /** what the ratio compares with, e.g. "C k-way merge of the same bytes" */
  baseline: string
  /** e.g. ">= 0.5x" */
  goal: string
  met: boolean
}

export function goalLine (g: Goal): string {
  return `bench ${g.name}: ${g.figure}; ${ratio(g.ratio)}x ${g.baseline}; goal ${g.goal}: ${g.met ? 'met' : 'missed'}`
}

/** Two significant decimals, as the goal lines print ratios. */
export function ratio (r: number): string {
  return r.toFixed(2)
}

/** "12.3 M records/s" style: a rate in millions with 3 significant digits. */
export function millions (perSecond: number, unit: string): string {
  return `${(perSecond / 1e6).toPrecision(3)} M ${unit}`
}
