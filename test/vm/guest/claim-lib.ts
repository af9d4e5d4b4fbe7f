// Helpers for the guest tests of the claim (PROTOCOL.md §6.1): who holds the channel as
// `info` names it, and a `krelay collect` that is expected to be refused.
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { CollectorProcess } from '../../../cli/demo/collector-process.ts'
import { info } from './kmod.ts'

/** The holder as `info` names it: pid 0 and `-` when the channel is free. */
export function consumer (): { pid: number, name: string } {
  const keys = info()
  return { pid: Number(keys.get('consumer_pid')), name: keys.get('consumer_name')! }
}

export async function waitConsumer (pid: number, name: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (consumer().pid !== pid || consumer().name !== name) {
    assert.ok(Date.now() < deadline, `info never showed consumer ${pid} ${name}: ${JSON.stringify(consumer())}`)
    await sleep(20)
  }
}

/** A `krelay collect` expected to be refused, once it exited; started again if node faults while starting in TCG. */
export async function refusedCollector (out: string, spool: string, tag = 'second'): Promise<CollectorProcess> {
  for (let attempt = 1; ; attempt++) {
    const c = new CollectorProcess(['--out', out, '--spool', spool, '--host', 'krelay-test'], line => process.stdout.write(`    ${tag} | ${line}\n`))
    const exit = await c.exited
    if (exit.signal !== 'SIGSEGV' || attempt === 3) return c
  }
}
