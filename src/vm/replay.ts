/**
 * A recorded guest, replayed by hand: QEMU's record/replay gives the same
 * guest execution again, instruction for instruction, from the log and the
 * disks as they were at boot, with no rig and no host side (the host's
 * answers are in the log). The script is made by a pure function;
 * copySparse and replayMatches run programs.
 */
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { leashed } from '../util/leash.ts';
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

/**
 * Replays a recorded guest by its script and compares the console it prints
 * with the one recorded: the same bytes mean the same guest observations,
 * so the same verdict (the host's own checks do not change). The replayed
 * QEMU dies with the rig like any other.
 */
export async function replayMatches(script: string, recordedLog: string, timeoutS = 600): Promise<{ same: boolean; seconds: number; firstDifference?: string }> {
  const started = Date.now();
  const leash = leashed('sh', [script]);
  const r = await execa(leash.file, leash.args, { reject: false, stdin: 'ignore', stripFinalNewline: false, maxBuffer: 64 * 1024 * 1024, timeout: timeoutS * 1000, killSignal: 'SIGKILL' });
  const seconds = (Date.now() - started) / 1000;
  const recorded = await readFile(recordedLog, 'utf8');
  const replayed = String(r.stdout ?? '');
  if (replayed === recorded) return { same: true, seconds };
  const a = recorded.split('\n');
  const b = replayed.split('\n');
  const i = a.findIndex((l, j) => l !== b[j]);
  const at = i < 0 ? a.length : i;
  return { same: false, seconds, firstDifference: r.timedOut ? `the replay did not end within ${timeoutS} s (line ${b.length})` : `line ${at + 1}: recorded ${JSON.stringify(a[at] ?? '(end)')}, replayed ${JSON.stringify(b[at] ?? '(end)')}` };
}
