/**
 * The scenario ids: the one list the catalogue, the manifests' validation
 * and the guest's table (through contract.h) all take them from.
 */
/** The scenario ids, in the order the guest runs them. Stable: reports and CI key on them. */
export const SCENARIOS = [
  'freeze-thaw',
  'writes-block',
  'metadata-blocks',
  'reads-proceed',
  'errors',
  'timeout-fires',
  'timeout-reset',
  'timeout-compat-args',
  'self-deadlock-rescue',
  'thaw-timeout-race',
  'reset-at-expiry',
  'legacy-xfs-ioctl',
  'compat32',
  'umount-frozen',
  'remount-frozen',
  'freeze-read-only',
  'lazy-umount-frozen',
  'emergency-thaw',
  'freeze-under-load',
  'snapshot-consistent',
  'no-device-writes',
  'dm-snapshot',
  'freeze-io-error',
  'frozen-isolation',
  'dmesg-clean',
] as const;
export type ScenarioId = (typeof SCENARIOS)[number];

export const isScenario = (s: string): s is ScenarioId => (SCENARIOS as readonly string[]).includes(s);
