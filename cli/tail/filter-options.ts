// krelay tail's filter options, from the command line's strings to the hello's filter
// (formats/live-hello.ts); each refusal names the option and what it allows.
import { optionValue } from '../options.ts'
import { TYPE_NAMES } from '../../formats/archive-schema.ts'

/** "0,2-3" → [0, 2, 3]; numbers from 0 to max. */
export function numberList (flag: string, what: string, max: number) {
  return optionValue(flag, `a list of ${what} such as 0,2-3`, s => {
    const out = new Set<number>()
    for (const part of s.split(',')) {
      const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim())
      if (m === null) return undefined
      const lo = Number(m[1])
      const hi = m[2] === undefined ? lo : Number(m[2])
      if (hi < lo || hi > max || hi - lo > 65536) return undefined
      for (let n = lo; n <= hi; n++) out.add(n)
    }
    return [...out].sort((a, b) => a - b)
  })
}

const TYPE_BY_NAME = new Map([...TYPE_NAMES].map(([n, name]) => [name, n]))

/** Archive type names (text, gen, sched_exec, sched_fork) or 0xNNNN, comma-separated. */
export const typeList = optionValue('--type', `a list of ${[...TYPE_BY_NAME.keys()].join(', ')} or 0xNNNN`, s => {
  const out = new Set<number>()
  for (const part of s.split(',')) {
    const name = part.trim()
    const known = TYPE_BY_NAME.get(name)
    if (known !== undefined) out.add(known)
    else if (/^0x[0-9a-fA-F]{1,4}$/.test(name)) out.add(Number(name))
    else return undefined
  }
  return [...out]
})

/** Command names, exact, comma-separated; each at most 16 bytes as the kernel keeps them. */
export const commList = optionValue('--comm', 'a list of command names of 1 to 16 bytes', s => {
  const names = s.split(',')
  return names.every(n => n.length > 0 && Buffer.byteLength(n) <= 16) ? names : undefined
})

/** A JavaScript regular expression. */
export const grepOption = optionValue('--grep', 'a regular expression', s => {
  if (s === '') return undefined
  try {
    RegExp(s)
    return s
  } catch {
    return undefined
  }
})

export const pidList = numberList('--pid', 'pids', 0xffffffff)
export const cpuList = numberList('--cpu', 'CPUs', 65535)
