// Read the counts from the end of node's spec (or tap) test reporter output (pure).

export interface TestCounts {
  tests: number;
  pass: number;
  fail: number;
  skipped: number;
  cancelled: number;
  todo: number;
}

export function parseTestCounts (output: string): TestCounts | null {
  const get = (key: string): number | undefined => {
    const all = [...output.matchAll(new RegExp(String.raw`^(?:ℹ|#) ${key} (\d+)\s*$`, 'gm'))]
    const last = all[all.length - 1]
    return last?.[1] === undefined ? undefined : Number(last[1])
  }
  const tests = get('tests')
  if (tests === undefined) return null
  return {
    tests,
    pass: get('pass') ?? 0,
    fail: get('fail') ?? 0,
    skipped: get('skipped') ?? 0,
    cancelled: get('cancelled') ?? 0,
    todo: get('todo') ?? 0,
  }
}

/**
 * The failing tests of node's spec reporter output, each with the first line of its error,
 * from its "failing tests:" list (one line each, so a summary can name them).
 */
export function failedTests (output: string): string[] {
  const at = output.lastIndexOf('✖ failing tests:')
  if (at < 0) return []
  const lines = output.slice(at).split('\n').slice(1)
  const out: string[] = []
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*✖ (.+?)(?: \([\d.]+m?s\))?\s*$/.exec(lines[i]!)
    if (m === null) continue
    const why = lines.slice(i + 1).find((l) => l.trim() !== '')?.trim() ?? ''
    const line = `${m[1]}: ${why.length > 240 ? `${why.slice(0, 240)}...` : why}`
    if (!out.includes(line)) out.push(line)
  }
  return out
}
