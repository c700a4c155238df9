import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { release } from 'node:os';
import { execa } from 'execa';
import { infraError } from '../errors.ts';
import { writeJsonAtomic } from '../util/atomic.ts';
import type { Accel } from './qemu-command.ts';

/** --accel: KVM, TCG, or auto (KVM where a real boot proved it works, else TCG). */
export type AccelChoice = Accel | 'auto';
export const ACCEL_CHOICES: readonly AccelChoice[] = ['kvm', 'tcg', 'auto'];

const kvmUsable = () => access('/dev/kvm', constants.R_OK | constants.W_OK).then(() => true, () => false);

/** --accel kvm on a host without a usable /dev/kvm: said before anything is built. */
export async function checkAccel(choice: AccelChoice): Promise<void> {
  if (choice === 'kvm' && !(await kvmUsable())) {
    throw infraError('--accel kvm: /dev/kvm is missing or not readable and writable by this user', { hint: 'use --accel tcg (or auto), or give this user access to /dev/kvm (the kvm group)' });
  }
}

/**
 * Which accelerator to use. --accel kvm or tcg forces one; so does
 * FREEZE_RIG_ACCEL when --accel is auto. Otherwise TCG, unless /dev/kvm is
 * usable AND a KVM boot was proven to work: on these machines /dev/kvm
 * exists but nested KVM hangs this guest at "Booting from ROM", so its
 * mere presence proves nothing.
 */
export async function chooseAccel(choice: AccelChoice = 'auto', env: NodeJS.ProcessEnv = process.env, proven?: () => Promise<boolean>): Promise<Accel> {
  if (choice !== 'auto') return choice;
  const forced = env.FREEZE_RIG_ACCEL;
  if (forced === 'kvm' || forced === 'tcg') return forced;
  if ((await kvmUsable()) && proven && (await proven())) return 'kvm';
  return 'tcg';
}

/**
 * Whether this kernel really boots under KVM here: a short boot that must
 * reach the helper's hello and power off. The answer is kept per QEMU
 * binary and host kernel (cacheFile), since it depends on both, not on the
 * guest kernel being tested.
 */
export async function kvmProven(cacheFile: string, boot: (accel: Accel) => Promise<boolean>): Promise<boolean> {
  const qemu = (await execa('qemu-system-x86_64', ['--version'], { reject: false })).stdout.split('\n')[0] ?? '?';
  const key = `${qemu} | host ${release()}`;
  const known = JSON.parse(await readFile(cacheFile, 'utf8').catch(() => 'null')) as { key: string; kvm: boolean } | null;
  if (known?.key === key) return known.kvm;
  const kvm = await boot('kvm').catch(() => false);
  await writeJsonAtomic(cacheFile, { key, kvm, probedAt: new Date().toISOString() });
  return kvm;
}
