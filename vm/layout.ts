// Names shared by the host side and the guest /init: 9p tags, paths, files, exit codes.

export const tags = { hostRoot: 'hostroot', run: 'krelayrun' } as const

/** Where the writable run share appears inside the chroot (on the guest's tmpfs /tmp). */
export const guestRunDir = '/tmp/krelay-vm'
/** KRELAY_RESULTS inside the guest: a directory the command may write, kept on the host. */
export const guestResultsDir = `${guestRunDir}/results`

/** Files in the run share. The host writes job.env and cmd.sh; the guest writes the rest. */
export const runFiles = {
  job: 'job.env',
  cmd: 'cmd.sh',
  results: 'results',
  output: 'output.log',
  status: 'status',
  dmesg: 'dmesg.log',
  tainted: 'tainted',
  marker: 'marker',
  console: 'console.log',
} as const

/** Values the guest writes to isa-debug-exit; qemu exits with (value << 1) | 1. */
export const debugExit = { iobase: 0xf4, done: 0x2a, initFailed: 0x2b } as const
export const qemuExitCode = (value: number): number => (value << 1) | 1

/** Lines /init prints on the console; the host times the run by them. */
export const consoleMarks = {
  init: 'krelay-vm: init started',
  start: 'krelay-vm: command start',
  end: 'krelay-vm: command exited',
  fatal: 'krelay-vm: FATAL:',
  warning: 'krelay-vm: warning:',
} as const

export const markerLine = (nonce: string, status: number | string): string => `krelay-vm-done nonce=${nonce} status=${status}`
