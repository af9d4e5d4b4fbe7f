// Acknowledging sub-buffers (PROTOCOL.md §6): `ack <cpu> <seq>`, one command per write().
import fs from 'node:fs'
import { errnoOf, explainFileError, type SystemPaths } from './errors.ts'

export interface Acker {
  /** Sub-buffers of `cpu` up to and including `seq` are consumed. */
  ack(cpu: number, seq: number): void | Promise<void>
  close?(): void
}

export function ackCommand(cpu: number, seq: number): string {
  return `ack ${cpu} ${seq}\n`
}

/**
 * Writes acks to the control file, one command per write(). The file is opened for each
 * ack and closed again: an open control file pins the module, and the operator must be
 * able to unload it under a running collector (the reader then notices the unload).
 */
export function controlFileAcker(controlPath: string, sys: SystemPaths): Acker {
  return {
    ack(cpu, seq) {
      const command = Buffer.from(ackCommand(cpu, seq), 'latin1')
      let fd = -1
      try {
        fd = fs.openSync(controlPath, fs.constants.O_WRONLY | fs.constants.O_APPEND)
        const written = fs.writeSync(fd, command, 0, command.length, null)
        if (written !== command.length) throw new Error(`short write of ${JSON.stringify(command.toString())} to ${controlPath}`)
      } catch (err) {
        const errno = errnoOf(err)
        if (errno === 'EINVAL') {
          throw new Error(`${controlPath} refused ${JSON.stringify(command.toString().trim())} (EINVAL): no such cpu or seq above produced`, { cause: err })
        }
        throw errno === 'EUNKNOWN' ? err : explainFileError(controlPath, errno, 'cannot write', sys, err)
      } finally {
        if (fd >= 0) fs.closeSync(fd)
      }
    },
  }
}
