import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
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
