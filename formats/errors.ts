// Errors raised while reading krelay's text files and headers (never on a per-record path).
import { ABI_VERSION } from './wire.ts'

/** `info` or `stats` text that does not follow PROTOCOL.md; the message names the key or line. */
export class KrelayFormatError extends Error {
  override name = 'KrelayFormatError'
}

/** Another ABI version (PROTOCOL.md §2): the consumer must stop and acknowledge nothing. */
export class UnsupportedAbiError extends Error {
  override name = 'UnsupportedAbiError'
  constructor (readonly version: number | string, where = '') {
    super(`krelay ABI version ${version} is not supported by this collector (it reads version ${ABI_VERSION})${where}`)
  }
}
