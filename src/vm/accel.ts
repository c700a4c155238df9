import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { release } from 'node:os';
import { execa } from 'execa';
import { writeJsonAtomic } from '../util/atomic.ts';
import type { Accel } from './qemu-command.ts';

/**
 * Which accelerator to use. FREEZE_RIG_ACCEL forces one. Otherwise TCG,
 * unless /dev/kvm is usable AND a KVM boot was proven to work: on these
 * machines /dev/kvm exists but nested KVM hangs this guest at "Booting from
 * ROM", so its mere presence proves nothing.
 */
export async function chooseAccel(env: NodeJS.ProcessEnv = process.env, proven?: () => Promise<boolean>): Promise<Accel> {
  const forced = env.FREEZE_RIG_ACCEL;
  if (forced === 'kvm' || forced === 'tcg') return forced;
  const kvm = await access('/dev/kvm', constants.R_OK | constants.W_OK).then(() => true, () => false);
  if (kvm && proven && (await proven())) return 'kvm';
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
