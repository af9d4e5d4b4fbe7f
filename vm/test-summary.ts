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
