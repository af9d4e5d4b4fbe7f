// Writing the control file (PROTOCOL.md §6): one command per write(), the file opened for
// each command and closed again (an open control file pins the module, and the operator
// must be able to unload it under a running collector). Acknowledgements go through here.
import fs from 'node:fs'
import path from 'node:path'
import { explainClaimed } from './consumer.ts'
import { ChannelError, errnoOf, explainFileError, type SystemPaths } from './errors.ts'

export interface Acker {
  /** Sub-buffers of `cpu` up to and including `seq` are consumed. */
  ack(cpu: number, seq: number): void | Promise<void>
  close?(): void
}

export function ackCommand (cpu: number, seq: number): string {
  return `ack ${cpu} ${seq}\n`
}

/**
 * Writes one command. A module being unloaded refuses commands with ENODEV, and a
 * descriptor to its removed file fails with EIO: both throw ChannelError 'not-a-channel',
 * like a control file that is gone. EBUSY (`claim`, `release` and `ack` while another
 * process holds the claim, §6.1) throws ChannelError 'claimed' naming the holder; the
 * collector never writes `gen`, whose EBUSY means something else.
 */
export function writeControl (controlPath: string, command: string, sys: SystemPaths, einvalMeans = 'malformed or out of range'): void {
  const bytes = Buffer.from(command, 'latin1')
  let fd = -1
  try {
    fd = fs.openSync(controlPath, fs.constants.O_WRONLY | fs.constants.O_APPEND)
    const written = fs.writeSync(fd, bytes, 0, bytes.length, null)
    if (written !== bytes.length) throw new Error(`short write of ${JSON.stringify(command)} to ${controlPath}`)
  } catch (err) {
    const errno = errnoOf(err)
    const what = JSON.stringify(command.trim())
    if (errno === 'EBUSY') throw explainClaimed(path.dirname(controlPath), err)
    if (errno === 'EINVAL') throw new Error(`${controlPath} refused ${what} (EINVAL): ${einvalMeans}`, { cause: err })
    if (errno === 'ENODEV' || errno === 'EIO') {
      throw new ChannelError('not-a-channel', `${controlPath} refused ${what} (${errno}): the module is being unloaded`, { cause: err })
    }
    throw errno === 'EUNKNOWN' ? err : explainFileError(controlPath, errno, 'cannot write', sys, err)
  } finally {
    if (fd >= 0) fs.closeSync(fd)
  }
}

export function controlFileAcker (controlPath: string, sys: SystemPaths): Acker {
  return {
    ack (cpu, seq) {
      writeControl(controlPath, ackCommand(cpu, seq), sys, 'no such cpu or seq above produced')
    },
  }
}
