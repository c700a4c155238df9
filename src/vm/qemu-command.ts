/**
 * QEMU command lines as data (tested without starting QEMU). -nodefaults: no
 * NIC, no VGA, no default monitor; the guest gets a serial console on
 * stdio, its disks on virtio, and nothing else.
 */
export type Accel = 'kvm' | 'tcg';

/**
 * Whose time the guest lives in. real: the host's clock, as QEMU runs by
 * default. virtual: QEMU's instruction counter is the guest's clock
 * (-icount), and time the vCPU would spend idle is skipped (sleep=off): a
 * 2 s timeout or a heartbeat costs the CPU work around it, not 2 s, and a
 * timer fires after the same guest instructions however loaded the host is.
 * TCG only (KVM has no instruction counter).
 */
export type Clock = 'virtual' | 'real';

/**
 * Nanoseconds per guest instruction as a power of two: 2^3 = 8 ns, a
 * 125 MIPS guest, about what TCG runs this guest at on these machines, so
 * that CPU-bound stretches (the soft lockup watchdog, a workload) take
 * about as long in guest time as in real time. A fixed shift, not auto:
 * auto ties the rate to the host's clock, which is what virtual time is
 * for getting rid of. Measured alone (2026-12-06): shift 0, 3 and auto
 * ran a guest in 7.3, 6.4 and 6.2 s.
 */
export const ICOUNT_SHIFT = 3;

export interface VmSpec {
  kernel: string;
  initrd: string;
  /** extra kernel command line, after the rig's own */
  append?: string;
  accel: Accel;
  /** vCPUs (an SMP kernel's NR_CPUS); 1 when absent */
  cpus?: number;
  memoryMiB?: number;
  /** snapshot: writes go to a temporary overlay, the file stays as it is (a replay's disks, replayed again and again) */
  disks?: { file: string; format?: 'raw' | 'qcow2'; snapshot?: boolean }[];
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
  /** the guest's clock (default real); virtual needs TCG */
  clock?: Clock;
  /**
   * Record the guest's run into a log (every non-deterministic input: the
   * disks' completions, the host channel's bytes, interrupts), or replay one.
   * Virtual time with the idle time NOT skipped: in QEMU 7.2, sleep=off with
   * rr=record stalled at the first disk read (FIELD-NOTES).
   */
  rr?: { mode: 'record' | 'replay'; file: string };
  /** replay: QEMU's gdb stub on tcp::1234, the guest stopped before its first instruction (-s -S) */
  gdb?: boolean;
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
    ...(v.rr ? ['-icount', `shift=${ICOUNT_SHIFT},rr=${v.rr.mode},rrfile=${v.rr.file}`] : v.clock === 'virtual' ? ['-icount', `shift=${ICOUNT_SHIFT},sleep=off`] : []),
    ...(v.accel === 'kvm' ? ['-cpu', 'host'] : []),
    ...(v.cpus && v.cpus > 1 ? ['-smp', String(v.cpus)] : []),
    '-m', String(v.memoryMiB ?? 256),
    '-serial', v.consoleFile ? `file:${v.consoleFile}` : 'stdio',
    '-kernel', v.kernel,
    '-initrd', v.initrd,
    '-append', [BASE_APPEND, v.append].filter(Boolean).join(' '),
  ];
  if (v.hostChannel) args.push('-chardev', `socket,id=host,path=${v.hostChannel},server=on,wait=off`, '-serial', 'chardev:host');
  (v.disks ?? []).forEach((d, i) => {
    const opts = `format=${d.format ?? 'raw'},cache=writeback${d.snapshot ? ',snapshot=on' : ''}`;
    // recorded or replayed: each disk's requests go through blkreplay, which logs their completions
    if (v.rr) args.push('-drive', `file=${d.file},if=none,${opts},id=${diskId(i)}-direct`, '-drive', `driver=blkreplay,if=none,image=${diskId(i)}-direct,id=${diskId(i)}`, '-device', `virtio-blk-pci,drive=${diskId(i)}`);
    else args.push('-drive', `file=${d.file},if=virtio,${opts},id=${diskId(i)}`);
  });
  if (v.qmpSocket) args.push('-qmp', `unix:${v.qmpSocket},server=on,wait=off`);
  if (v.gdb) args.push('-s', '-S');
  return args;
}
