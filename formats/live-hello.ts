// The one line a live subscriber sends first (formats/LIVE.md): the protocol version and
// its filter, as JSON. The collector validates it once per connection.
import { z } from 'zod'
import { LEVEL_NAMES } from './wire.ts'

export const LIVE_VERSION = 2
/** A hello longer than this is refused without parsing it. */
export const MAX_HELLO_BYTES = 64 * 1024

const ints = (max: number) => z.array(z.number().int().min(0).max(max)).min(1).max(4096)

export const liveFilterSchema = z.object({
  cpu: ints(65535).optional(),
  /** at or above this severity (emerg is the highest) */
  level: z.enum(LEVEL_NAMES).optional(),
  type: ints(65535).optional(),
  pid: ints(0xffffffff).optional(),
  comm: z.array(z.string().min(1).max(16)).min(1).max(4096).optional(),
  /** a JavaScript regular expression, matched against the message of text records */
  grep: z.string().min(1).max(4096).optional(),
}).strict()

export const liveHelloSchema = z.object({
  version: z.number().int(),
  filter: liveFilterSchema.default({}),
}).strict()

export type LiveFilterSpec = z.output<typeof liveFilterSchema>
export type LiveHello = z.output<typeof liveHelloSchema>

/** The line a subscriber sends. */
export function helloLine (filter: LiveFilterSpec): string {
  return `${JSON.stringify({ version: LIVE_VERSION, filter })}\n`
}
