// How the CLI fails: a usage error (exit 2) or a runtime failure (exit 1), each one line.
import { ZodError } from 'zod'

export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

/** The command line is wrong: exit 2. The message names the option and what it allows. */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** The command ran and failed: exit 1 (or `exitCode`). */
export class CliFailure extends Error {
  override name = 'CliFailure'
  constructor (message: string, readonly exitCode = EXIT_FAILURE) {
    super(message)
  }
}

/** One line for the user; the stack (and causes) only with KRELAY_DEBUG=1. */
export function describeError (err: unknown, debug = process.env.KRELAY_DEBUG === '1'): string {
  if (debug) {
    const parts: string[] = []
    let e: unknown = err
    for (let depth = 0; e !== undefined && depth < 8; depth++) {
      parts.push(e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e))
      e = e instanceof Error ? e.cause : undefined
      if (e !== undefined) parts.push('caused by:')
    }
    return parts.join('\n')
  }
  if (err instanceof ZodError) return err.issues.map(i => i.message).join('; ')
  if (err instanceof Error) return err.message.split('\n')[0] ?? err.message
  return String(err)
}

export function exitCodeOf (err: unknown): number {
  if (err instanceof UsageError) return EXIT_USAGE
  if (err instanceof CliFailure) return err.exitCode
  return EXIT_FAILURE
}

/** commander's own errors (missing or unknown options) as one line naming the command. */
export function commanderOutput (name: string): { outputError(text: string, write: (s: string) => void): void } {
  return {
    outputError: (text, write) => write(`${name}: ${text.trim().replace(/^error: /, '')} (see ${name} --help)\n`),
  }
}
