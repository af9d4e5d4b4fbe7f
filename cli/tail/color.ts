// Stand-in (replaced at merge): whether tail colors its lines.
export function useColor (flag: 'auto' | 'always' | 'never', isTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  if (flag !== 'auto') return flag === 'always'
  return isTTY && (env.NO_COLOR ?? '') === ''
}
