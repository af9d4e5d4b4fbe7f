// Where archive files go and what they are called.
//
//   <out>/<dataset>/host=<host>/date=<YYYY-MM-DD>/hour=<HH>/<stamp>-<rand>.parquet
//   <out>/<dataset>/host=<host>/date=<YYYY-MM-DD>/hour=<HH>/.<stamp>-<rand>.parquet.partial
//
// <stamp> is the file's first (smallest) time as YYYYMMDDTHHMMSS.nnnnnnnnn (UTC), so names
// sort by time; <rand> is 8 random hex digits, so two writers never pick the same name.
// The partial name starts with a dot and ends in .partial: no `*.parquet` glob matches it.

import { randomBytes } from 'node:crypto'
import { promises as fs, type Dirent } from 'node:fs'
import { join } from 'node:path'
import { hourPartition } from './time.ts'

export const PARQUET_SUFFIX = '.parquet'
export const PARTIAL_SUFFIX = '.parquet.partial'

const HOST_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/
const STAMP_RE = /^[0-9]{8}T[0-9]{6}\.[0-9]{9}$/

/** Refuses a host name that is not safe as one Hive path component. */
export function checkHost (host: string): string {
  if (!HOST_RE.test(host)) {
    throw new RangeError(
      `archive host ${JSON.stringify(host)} must be 1-253 characters of A-Z a-z 0-9 . _ - and start with a letter or digit`
    )
  }
  return host
}

export function partitionDir (out: string, dataset: string, host: string, hour: number): string {
  const p = hourPartition(hour)
  return join(out, dataset, `host=${host}`, `date=${p.date}`, `hour=${p.hour}`)
}

export function fileBaseName (stamp: string, rand: string = randomBytes(4).toString('hex')): string {
  if (!STAMP_RE.test(stamp)) throw new RangeError(`bad file stamp ${JSON.stringify(stamp)}`)
  return `${stamp}-${rand}`
}

export function finalName (base: string): string {
  return base + PARQUET_SUFFIX
}

export function partialName (base: string): string {
  return '.' + base + PARTIAL_SUFFIX
}

export function isPartialName (name: string): boolean {
  return name.startsWith('.') && name.endsWith(PARTIAL_SUFFIX)
}

/**
 * Removes leftover `.*.parquet.partial` files under `dir` (a crash during a write leaves
 * them; they are never read). Returns the paths removed. Call it at startup, before any
 * writer of this host runs; it walks the whole tree, so give it the host's directory.
 */
export async function removePartialFiles (dir: string): Promise<string[]> {
  const removed: string[] = []
  let entries: Dirent[]
  try {
    entries = await fs.readdir(dir, { withFileTypes: true })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return removed
    throw e
  }
  for (const e of entries) {
    const p = join(dir, e.name)
    if (e.isDirectory()) removed.push(...(await removePartialFiles(p)))
    else if (e.isFile() && isPartialName(e.name)) {
      await fs.unlink(p)
      removed.push(p)
    }
  }
  return removed
}
