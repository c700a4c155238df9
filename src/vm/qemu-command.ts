/**
 * QEMU command lines as data (tested without starting QEMU). -nodefaults: no
 * NIC, no VGA, no default monitor; the guest gets a serial console on
 * stdio, its disks on virtio, and nothing else.
 */
export type Accel = 'kvm' | 'tcg';

export interface VmSpec {
  kernel: string;
  initrd: string;
  /** extra kernel command line, after the rig's own */
  append?: string;
  accel: Accel;
  /** vCPUs (an SMP kernel's NR_CPUS); 1 when absent */
  cpus?: number;
  memoryMiB?: number;
  disks?: { file: string; format?: 'raw' | 'qcow2' }[];
  /** QMP on a unix socket (server, no wait) */
  qmpSocket?: string;
  /** the host's answers to the guest: a second serial port (ttyS1) on a unix socket (server, no wait) */
  hostChannel?: string;
  /**
   * The console (ttyS0) into this file instead of stdout. A file never
   * answers EAGAIN: through a pipe, QEMU 7.2 waited for it to drain and
   * meanwhile dropped what overflowed the UART's FIFO, and SMP guests'
   * output sometimes stayed stuck there for good.
   */
  consoleFile?: string;
}

/** The block device name of disk i, for QMP (query-blockstats, blockdev-backup). */
export const diskId = (i: number) => `disk${i}`;

/**
 * console=ttyS0 for the log; panic=1 reboots a second after a panic, and
 * -no-reboot turns that into an exit. (2.6.27's panic() reboots only for a
 * timeout above 0: with panic=-1 a guest that panicked at boot sat silent
 * until the rig gave up on it, 86 s later.) pci=noacpi: PCI interrupts routed by
 * the BIOS's PIRQ table, not by ACPI's _PRT, whose evaluation took 0.41 s of
 * a 1.0 s TCG boot (six guests boot at once on two cores). ACPI still powers
 * the guest off.
 */
export const BASE_APPEND = 'console=ttyS0 panic=1 loglevel=7 pci=noacpi';

export function qemuArgs(v: VmSpec): string[] {
  const args = [
    '-nodefaults',
    '-no-user-config',
    '-display', 'none',
    '-no-reboot',
    '-accel', v.accel,
    ...(v.accel === 'kvm' ? ['-cpu', 'host'] : []),
    ...(v.cpus && v.cpus > 1 ? ['-smp', String(v.cpus)] : []),
    '-m', String(v.memoryMiB ?? 256),
    '-serial', v.consoleFile ? `file:${v.consoleFile}` : 'stdio',
    '-kernel', v.kernel,
    '-initrd', v.initrd,
    '-append', [BASE_APPEND, v.append].filter(Boolean).join(' '),
  ];
  if (v.hostChannel) args.push('-chardev', `socket,id=host,path=${v.hostChannel},server=on,wait=off`, '-serial', 'chardev:host');
  (v.disks ?? []).forEach((d, i) => args.push('-drive', `file=${d.file},if=virtio,format=${d.format ?? 'raw'},cache=writeback,id=${diskId(i)}`));
  if (v.qmpSocket) args.push('-qmp', `unix:${v.qmpSocket},server=on,wait=off`);
  return args;
}
