// Colors of `krelay tail`: whether to use them, and the ANSI SGR sequences by level as
// dmesg uses them. Only the line formatter (lines.ts) emits these; the text it wraps is
// already free of control characters (visible.ts), so the only escapes on a colored line
// are the ones below.

export type ColorFlag = 'auto' | 'always' | 'never'

/** FORCE_COLOR as Node and chalk read it: unset undefined, `0` or `false` false, else true. */
function forced (value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined
  return !(value === '0' || value === 'false')
}

/**
 * Whether lines are colored. `--color always` and `--color never` decide alone (a
 * per-run flag overrides the environment, as https://no-color.org asks). With `auto`:
 * - `NO_COLOR` set and non-empty: no color (it wins over FORCE_COLOR: it is the user's
 *   own "no", while FORCE_COLOR is often set for a whole CI job);
 * - `FORCE_COLOR` set: `0` or `false` means no color, anything else (empty included, as
 *   in Node and chalk) color even when stdout is not a terminal;
 * - otherwise color when stdout is a terminal and `TERM` is not `dumb`.
 */
export function useColor (flag: ColorFlag, isTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  if (flag !== 'auto') return flag === 'always'
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  const force = forced(env.FORCE_COLOR)
  if (force !== undefined) return force
  return isTTY && env.TERM !== 'dumb'
}

/** SGR parameters by level (0 emerg .. 7 debug), as dmesg colors them; '' is plain. */
const LEVEL_SGR: readonly string[] = [
  '1;97;41', // emerg: bold white on red
  '1;97;41', // alert
  '1;31', // crit: bold red
  '31', // err: red
  '33', // warning: yellow
  '1', // notice: bold
  '', // info: plain
  '2', // debug: dim
]

export const SGR_TIME = '2'
/** lost records: bold yellow, to stand out from err (red) and warning (plain yellow) */
export const SGR_LOSS = '1;33'
/** a module unload or reload: bold, the stream of a channel ends */
export const SGR_RELOAD = '1'
/** records this terminal skipped */
export const SGR_SKIPPED = '33'

/** Levels above 7 (never written by ABI v1) are plain. */
export function levelSgr (level: number): string {
  return LEVEL_SGR[level] ?? ''
}

/** `text` between the SGR sequence `sgr` and a reset; `text` itself for plain ''. */
export function paint (sgr: string, text: string): string {
  return sgr === '' ? text : `\x1b[${sgr}m${text}\x1b[0m`
}
