// The qemu command line for one run (pure).
import { debugExit, tags } from './layout.ts'

export interface QemuSpec {
  vmlinuz: string;
  initrd: string;
  runDir: string;
  cpus: number;
  memMiB: number;
  bios: string;
  /** Extra kernel parameters appended after the harness's own. */
  append?: readonly string[];
}

/** Kernel parameters: serial console, die loudly on oops, and room for TCG's slowness. */
export const kernelParams = [
  'console=ttyS0',
  'panic=-1',
  'oops=panic',
  'printk.time=1',
  // TCG is 10-50x slower than hardware: keep the stall/lockup detectors from firing on emulation lag.
  'rcupdate.rcu_cpu_stall_timeout=120',
  'watchdog_thresh=60',
] as const

function p9 (id: string, path: string, readonly: boolean): string[] {
  if (path.includes(',')) throw new Error(`9p share path must not contain a comma: ${path}`)
  const ro = readonly ? ',readonly=on' : ''
  return [
    '-fsdev', `local,id=${id},path=${path}${ro},security_model=none,multidevs=remap`,
    '-device', `virtio-9p-pci,fsdev=${id},mount_tag=${id}`,
  ]
}

export function qemuArgs (s: QemuSpec): string[] {
  return [
    // one host thread for all vCPUs: under qemu 7.2's multi-threaded TCG, node in the guest
    // died of SIGSEGV in JIT code in about 1 of 5 heavy starts (0 of 30 single-threaded)
    '-accel', 'tcg,thread=single',
    '-cpu', process.env.KRELAY_VM_CPU_MODEL ?? 'max',
    '-smp', String(s.cpus),
    '-m', `${s.memMiB}M`,
    '-nodefaults',
    '-display', 'none',
    '-serial', 'stdio',
    '-no-reboot',
    '-nic', 'none',
    '-bios', s.bios,
    '-kernel', s.vmlinuz,
    '-initrd', s.initrd,
    '-append', [...kernelParams, ...(s.append ?? [])].join(' '),
    ...p9(tags.hostRoot, '/', true),
    ...p9(tags.run, s.runDir, false),
    '-device', `isa-debug-exit,iobase=0x${debugExit.iobase.toString(16)},iosize=0x04`,
  ]
}
