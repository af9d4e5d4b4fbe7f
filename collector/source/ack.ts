// Writing the control file (PROTOCOL.md §6): one command per write(), the file opened for
// each command and closed again where an open control file pins the module (the operator
// must be able to unload it under a running collector), or kept open where the module says
// its files do not (info `unpinned_files 1`, §1). Acknowledgements go through here.
import fs from 'node:fs'
import path from 'node:path'
import type { Channel } from './channel.ts'
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
  let fd = -1
  try {
    fd = openControl(controlPath, command, sys, einvalMeans)
    writeCommand(fd, controlPath, command, sys, einvalMeans)
  } finally {
    if (fd >= 0) fs.closeSync(fd)
  }
}

function openControl (controlPath: string, command: string, sys: SystemPaths, einvalMeans: string): number {
  try {
    return fs.openSync(controlPath, fs.constants.O_WRONLY | fs.constants.O_APPEND)
  } catch (err) {
    throw explainControlError(err, controlPath, command, sys, einvalMeans)
  }
}

function writeCommand (fd: number, controlPath: string, command: string, sys: SystemPaths, einvalMeans: string): void {
  const bytes = Buffer.from(command, 'latin1')
  let written: number
  try {
    written = fs.writeSync(fd, bytes, 0, bytes.length, null)
  } catch (err) {
    throw explainControlError(err, controlPath, command, sys, einvalMeans)
  }
  if (written !== bytes.length) throw new Error(`short write of ${JSON.stringify(command)} to ${controlPath}`)
}

function explainControlError (err: unknown, controlPath: string, command: string, sys: SystemPaths, einvalMeans: string): Error {
  const errno = errnoOf(err)
  const what = JSON.stringify(command.trim())
  if (errno === 'EBUSY') return explainClaimed(path.dirname(controlPath), err)
  if (errno === 'EINVAL') return new Error(`${controlPath} refused ${what} (EINVAL): ${einvalMeans}`, { cause: err })
  if (errno === 'ENODEV' || errno === 'EIO') {
    return new ChannelError('not-a-channel', `${controlPath} refused ${what} (${errno}): the module is being unloaded`, { cause: err })
  }
  return errno === 'EUNKNOWN' ? err as Error : explainFileError(controlPath, errno, 'cannot write', sys, err)
}

const ACK_EINVAL = 'no such cpu or seq above produced'

/** Opens `control` for every ack: for a module whose open files pin it. */
export function controlFileAcker (controlPath: string, sys: SystemPaths): Acker {
  return {
    ack (cpu, seq) {
      writeControl(controlPath, ackCommand(cpu, seq), sys, ACK_EINVAL)
    },
  }
}

/**
 * Keeps `control` open from the first ack to close() (a later ack opens it again), for a
 * module whose files hold no reference to it (§1): an ack is then one write(). Once that
 * module is gone the descriptor fails with EIO, so no ack reaches a module loaded after it
 * while the descriptor is open.
 */
export function heldControlAcker (controlPath: string, sys: SystemPaths): Acker {
  let fd = -1
  return {
    ack (cpu, seq) {
      const command = ackCommand(cpu, seq)
      if (fd < 0) fd = openControl(controlPath, command, sys, ACK_EINVAL)
      writeCommand(fd, controlPath, command, sys, ACK_EINVAL)
    },
    close () {
      if (fd >= 0) fs.closeSync(fd)
      fd = -1
    },
  }
}

/** The acker for `channel`: one descriptor kept open when its files do not pin the module (§1). */
export function channelAcker (channel: Channel): Acker {
  return (channel.info.unpinnedFiles ? heldControlAcker : controlFileAcker)(channel.controlPath, channel.sys)
}
