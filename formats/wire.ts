// The TypeScript spelling of formats/krelay_abi.h (PROTOCOL.md §3).
// Every decoder and encoder reads its offsets from the layout tables below;
// test/formats/wire.test.ts compiles the C header and compares both ways.

export const ABI_VERSION = 1
export const SUBBUF_MAGIC = 0x4253524b // "KRSB" as a little-endian u32
export const RECORD_ALIGN = 8
export const COMM_LEN = 16

export const KIND_TEXT = 1
export const KIND_BINARY = 2

export const CTX_TASK = 0
export const CTX_SOFTIRQ = 1
export const CTX_HARDIRQ = 2
export const CTX_NAMES = ['task', 'softirq', 'hardirq'] as const

export const LEVEL_EMERG = 0
export const LEVEL_ALERT = 1
export const LEVEL_CRIT = 2
export const LEVEL_ERR = 3
export const LEVEL_WARNING = 4
export const LEVEL_NOTICE = 5
export const LEVEL_INFO = 6
export const LEVEL_DEBUG = 7
export const LEVEL_MAX = 7
/** Level names indexed by level number, as the `level` control command spells them. */
export const LEVEL_NAMES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const

export const TYPE_TEXT = 0x0000
export const TYPE_GEN = 0xff01
export const TYPE_SCHED_EXEC = 0xff10
export const TYPE_SCHED_FORK = 0xff11
/** Types from here up belong to krelay itself. */
export const TYPE_KRELAY_FIRST = 0xff00

export const GEN_FILL_MOD = 61

/** Longest name of a `claim` command (PROTOCOL.md §6), characters [A-Za-z0-9._-]. */
export const CONSUMER_NAME_MAX = 31

/** The wait file (PROTOCOL.md §9): a read() needs room for this many bytes, and returns within WAIT_TIMEOUT_MS. */
export const WAIT_READ_MIN = 21
export const WAIT_TIMEOUT_MS = 1000

interface Field { readonly offset: number, readonly size: number }
type Layout = Readonly<Record<string, Field>>

/** struct krelay_subbuf_hdr, keyed by the C field names. */
export const SUBBUF_HDR = {
  magic: { offset: 0, size: 4 },
  version: { offset: 4, size: 2 },
  hdr_size: { offset: 6, size: 2 },
  cpu: { offset: 8, size: 4 },
  nrecords: { offset: 12, size: 4 },
  seq: { offset: 16, size: 8 },
  commit_seq: { offset: 24, size: 8 },
  committed: { offset: 32, size: 4 },
  reserved: { offset: 36, size: 4 },
  first_ts: { offset: 40, size: 8 },
  last_ts: { offset: 48, size: 8 },
  dropped: { offset: 56, size: 8 },
  watermark: { offset: 64, size: 8 },
  reserved2: { offset: 72, size: 8 },
} as const satisfies Layout
export const SUBBUF_HDR_SIZE = 80

/** struct krelay_record_hdr, keyed by the C field names. */
export const RECORD_HDR = {
  len: { offset: 0, size: 4 },
  type: { offset: 4, size: 2 },
  kind: { offset: 6, size: 1 },
  level: { offset: 7, size: 1 },
  seq: { offset: 8, size: 8 },
  ts: { offset: 16, size: 8 },
  pid: { offset: 24, size: 4 },
  pad: { offset: 28, size: 1 },
  ctx: { offset: 29, size: 1 },
  reserved: { offset: 30, size: 2 },
  comm: { offset: 32, size: COMM_LEN },
} as const satisfies Layout
export const RECORD_HDR_SIZE = 48

/** struct krelay_gen_payload (the fill bytes follow it). */
export const GEN_PAYLOAD = {
  index: { offset: 0, size: 8 },
  cpu: { offset: 8, size: 4 },
  run: { offset: 12, size: 4 },
} as const satisfies Layout
export const GEN_PAYLOAD_SIZE = 16

/** The structs of krelay_abi.h by C name, with their sizes. */
export const ABI_STRUCTS = {
  krelay_subbuf_hdr: { size: SUBBUF_HDR_SIZE, fields: SUBBUF_HDR },
  krelay_record_hdr: { size: RECORD_HDR_SIZE, fields: RECORD_HDR },
  krelay_gen_payload: { size: GEN_PAYLOAD_SIZE, fields: GEN_PAYLOAD },
} as const

/** Every #define of krelay_abi.h by C name. */
export const ABI_CONSTANTS: Readonly<Record<string, number>> = {
  KRELAY_ABI_VERSION: ABI_VERSION,
  KRELAY_SUBBUF_MAGIC: SUBBUF_MAGIC,
  KRELAY_RECORD_ALIGN: RECORD_ALIGN,
  KRELAY_COMM_LEN: COMM_LEN,
  KRELAY_KIND_TEXT: KIND_TEXT,
  KRELAY_KIND_BINARY: KIND_BINARY,
  KRELAY_CTX_TASK: CTX_TASK,
  KRELAY_CTX_SOFTIRQ: CTX_SOFTIRQ,
  KRELAY_CTX_HARDIRQ: CTX_HARDIRQ,
  KRELAY_LEVEL_EMERG: LEVEL_EMERG,
  KRELAY_LEVEL_ALERT: LEVEL_ALERT,
  KRELAY_LEVEL_CRIT: LEVEL_CRIT,
  KRELAY_LEVEL_ERR: LEVEL_ERR,
  KRELAY_LEVEL_WARNING: LEVEL_WARNING,
  KRELAY_LEVEL_NOTICE: LEVEL_NOTICE,
  KRELAY_LEVEL_INFO: LEVEL_INFO,
  KRELAY_LEVEL_DEBUG: LEVEL_DEBUG,
  KRELAY_LEVEL_MAX: LEVEL_MAX,
  KRELAY_TYPE_TEXT: TYPE_TEXT,
  KRELAY_TYPE_KRELAY_FIRST: TYPE_KRELAY_FIRST,
  KRELAY_TYPE_GEN: TYPE_GEN,
  KRELAY_TYPE_SCHED_EXEC: TYPE_SCHED_EXEC,
  KRELAY_TYPE_SCHED_FORK: TYPE_SCHED_FORK,
  KRELAY_GEN_FILL_MOD: GEN_FILL_MOD,
  KRELAY_CONSUMER_NAME_MAX: CONSUMER_NAME_MAX,
  KRELAY_WAIT_READ_MIN: WAIT_READ_MIN,
  KRELAY_WAIT_TIMEOUT_MS: WAIT_TIMEOUT_MS,
}

/** Bytes a record with `payloadLength` payload bytes occupies, padding included. */
export function recordLength (payloadLength: number): number {
  return (RECORD_HDR_SIZE + payloadLength + RECORD_ALIGN - 1) & ~(RECORD_ALIGN - 1)
}
