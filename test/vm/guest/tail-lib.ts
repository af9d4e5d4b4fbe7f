// Helpers for the guest tests of `krelay tail` (test/vm/guest/tail*.test.ts): tails as child
// processes on the collector's live socket, their --json lines, and the archive's record rows
// in the shape of those lines, to compare them field by field.
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { KRELAY_BIN } from '../../../cli/demo/collector-process.ts'
import { lit } from '../../../collector/archive/sql.ts'

export type Line = Record<string, unknown>

export interface Tail {
  args: readonly string[]
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  /** the exit code, or the signal's name */
  exited: Promise<number | string>
}

export interface RunOptions { uid?: number, gid?: number }

/** `krelay tail ...args` as a user runs it, its output kept. */
export function runTail (args: readonly string[], opts: RunOptions = {}): Tail {
  const child = spawn(process.execPath, [KRELAY_BIN, 'tail', ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...opts })
  let out = ''
  let err = ''
  child.stdout!.setEncoding('utf8').on('data', (s: string) => { out += s })
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { err += s })
  const exited = once(child, 'close').then(([code, signal]) => (code ?? signal) as number | string)
  return { args, child, stdout: () => out, stderr: () => err, exited }
}

/** What a tail's stderr says once it follows the collector's live socket. */
export const FOLLOWING = /following channel/
/** What it says once it reads the channel itself, with no collector (cli/tail/direct.ts). */
export const DIRECT = /reading the channel directly/

/**
 * Starts the tails together and resolves once every one follows the channel (its stderr
 * matches `ready`). A tail that dies of SIGSEGV before that is started again: node in the
 * TCG guest now and then faults in V8's JIT code while starting (cli/demo/collector-process.ts).
 */
export async function startTails (argLists: ReadonlyArray<readonly string[]>, timeoutMs = 180_000, ready = FOLLOWING): Promise<Tail[]> {
  return await Promise.all(argLists.map(async args => {
    for (let attempt = 1; ; attempt++) {
      const tail = runTail(args)
      const deadline = Date.now() + timeoutMs
      for (;;) {
        if (ready.test(tail.stderr())) return tail
        if (tail.child.exitCode !== null || tail.child.signalCode !== null) break
        assert.ok(Date.now() < deadline, `krelay tail ${args.join(' ')} did not follow the channel in ${timeoutMs / 1000} s:\n${tail.stderr()}`)
        await sleep(50)
      }
      const status = await tail.exited
      assert.ok(status === 'SIGSEGV' && attempt < 3, `krelay tail ${args.join(' ')} exited (${status}) before following:\n${tail.stderr()}`)
      process.stdout.write(`    krelay tail ${args.join(' ')} died of SIGSEGV while starting; once more\n`)
    }
  }))
}

/** Waits for a tail's exit, which must be 0. */
export async function exitedCleanly (tail: Tail): Promise<void> {
  assert.equal(await tail.exited, 0, `krelay tail ${tail.args.join(' ')}:\n${tail.stderr()}`)
}

export function jsonLines (tail: Tail): Line[] {
  return tail.stdout().split('\n').filter(l => l !== '').map(l => JSON.parse(l) as Line)
}

export const isRecord = (l: Line): boolean => l.event === undefined

/** (cpu, seq): a record's key within the one channel of a test. */
export const key = (l: Line): string => `${String(l.cpu)}/${String(l.seq)}`

/** `a` comes before `b` in the stream's order: (mono_ns, cpu, seq). */
export function before (a: Line, b: Line): boolean {
  const ta = BigInt(a.mono_ns as string)
  const tb = BigInt(b.mono_ns as string)
  if (ta !== tb) return ta < tb
  if (a.cpu !== b.cpu) return (a.cpu as number) < (b.cpu as number)
  return (a.seq as number) < (b.seq as number)
}

/** RFC 3339 UTC with 9 fractional digits, from ns since the epoch (JSON-LINES.md). */
export function utcText (epochNs: bigint): string {
  const ms = epochNs / 1_000_000n
  const frac = ((epochNs % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n
  return `${new Date(Number(ms)).toISOString().slice(0, 19)}.${String(frac).padStart(9, '0')}Z`
}

/**
 * Every record row of the archive under `out` as the record line `krelay tail --json`
 * prints for it (JSON-LINES.md: the archive's values, ts in RFC 3339, mono_ns a string,
 * data in base64), in (ts, cpu, seq) order.
 */
export async function archivedLines (out: string): Promise<Line[]> {
  const { DuckDBInstance } = await import('@duckdb/node-api')
  const db = await DuckDBInstance.create(':memory:')
  const conn = await db.connect()
  try {
    const glob = lit(path.join(out, 'records/**/*.parquet'))
    const r = await conn.runAndReadAll(`SELECT (epoch_us(ts) * 1000 + ts_nanos)::VARCHAR AS epoch_ns, (epoch_us(ts) * 1000 + ts_nanos - mono_offset_ns)::VARCHAR AS mono_ns, cpu, seq::VARCHAR AS seq,
      level, type, ctx, pid, comm, msg, to_base64(data) AS data, channel_id
      FROM read_parquet(${glob}, hive_partitioning = true, hive_types = {'host': 'VARCHAR'}) ORDER BY ts, ts_nanos, cpu, seq`)
    return (r.getRowObjectsJS() as Line[]).map(row => ({
      ts: utcText(BigInt(row.epoch_ns as string)),
      mono_ns: row.mono_ns,
      cpu: row.cpu,
      seq: Number(row.seq),
      level: row.level,
      type: row.type,
      ctx: row.ctx,
      pid: row.pid,
      comm: row.comm,
      msg: row.msg,
      data: row.data,
      channel_id: row.channel_id,
    }))
  } finally {
    conn.closeSync()
    db.closeSync()
  }
}
