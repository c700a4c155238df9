/**
 * A recorded guest, replayed by hand: QEMU's record/replay gives the same
 * guest execution again, instruction for instruction, from the log and the
 * disks as they were at boot, with no rig and no host side (the host's
 * answers are in the log). Command lines and scripts: pure, but copySparse.
 */
import { execa } from 'execa';
import { infraError } from '../errors.ts';
import { shellLine } from '../util/shell.ts';

/** The gdb stub's port with -s. */
export const GDB_PORT = 1234;

/**
 * <guest>-replay.sh: run from anywhere (it cds to its own directory, where
 * the log, the kernel, the initramfs and the disks' copies are). `--gdb`
 * adds -s -S: QEMU waits for gdb before the first instruction, and gdb's
 * reverse-stepi and reverse-continue work, since it is a replay. Pure.
 */
export function replayScript(guest: string, vmlinux: string, argv: string[]): string {
  return [
    '#!/bin/sh',
    `# freeze-rig: guest ${guest}, replayed from its recording: the same console on stdout, byte for byte;`,
    "# no rig and no host side needed (the host's answers are in the log).",
    `# sh ${guest.split(' ').pop()}-replay.sh --gdb: QEMU waits for gdb on tcp::${GDB_PORT} before the first instruction; then`,
    `#   gdb ${vmlinux} -ex 'target remote :${GDB_PORT}'`,
    '# and reverse-stepi / reverse-continue step back through the guest (vmlinux: a copy of the one it ran, beside this script)',
    'set -e',
    'cd "$(dirname "$0")"',
    'gdb=',
    `[ "\${1:-}" = --gdb ] && gdb="-s -S"`,
    `exec ${shellLine(argv)} $gdb </dev/null`,
    '',
  ].join('\n');
}

/** cp --sparse=always: a disk image's holes stay holes (a 320 MiB XFS image holds a few MiB). */
export async function copySparse(from: string, to: string): Promise<void> {
  const r = await execa('cp', ['--sparse=always', from, to], { reject: false, all: true });
  if (r.exitCode !== 0) throw infraError(`could not copy ${from} for its replay: ${r.all}`);
}
