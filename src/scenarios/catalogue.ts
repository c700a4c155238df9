import type { FsManifest } from './manifest.ts';

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
  'legacy-xfs-ioctl',
  'umount-frozen',
  'freeze-under-load',
  'snapshot-consistent',
  'no-device-writes',
  'dmesg-clean',
] as const;
export type ScenarioId = (typeof SCENARIOS)[number];

export const isScenario = (s: string): s is ScenarioId => (SCENARIOS as readonly string[]).includes(s);

/** The limits the scenarios hold the kernel to (the issue's catalogue). */
export const LIMITS = {
  /** a writer must still be blocked after this long frozen */
  blockedAtLeastMs: 1000,
  /** and return within this long after the thaw */
  resumeWithinMs: 1000,
  /** a read or stat on a frozen fs must return within this */
  readWithinMs: 500,
  /** the timeout the guest requests, and how far from it expiry may be under TCG */
  timeoutMs: 2000,
  expiryToleranceMs: 500,
  /** timeout-reset: the heartbeat keeps the fs frozen this long */
  heartbeatMs: 6000,
};

/**
 * Why a scenario does not run on this fs for this revision, or undefined if
 * it runs. Decided from the manifest alone. Pure.
 */
export function skipReason(fs: FsManifest | undefined, id: ScenarioId): string | undefined {
  const known = fs?.knownIssues?.[id];
  if (known) return `known issue (manifest): ${known}`;
  if (id === 'dmesg-clean') return undefined;
  if (id === 'legacy-xfs-ioctl') return fs?.legacyXfsIoctl ? undefined : 'the manifest says nothing about the legacy XFS ioctls';
  if (!fs?.iface) return `no freeze interface (manifest: ${fs?.why ?? 'none'})`;
  if (id.startsWith('timeout-') || id === 'self-deadlock-rescue' || id === 'thaw-timeout-race') {
    if (!fs.timeout) return 'no freeze timeout on this interface (manifest)';
    if (id === 'timeout-reset' && !fs.timeout.reset) return 'no timeout reset on this interface (manifest)';
  }
  if (id === 'umount-frozen') {
    if (!fs.umountFrozen) return 'the manifest does not say what umount of a frozen fs does';
    if (fs.umountFrozen === 'hangs') return 'manifest: umount of a frozen fs blocks until a thaw that nothing could issue once the mount is gone, and there is no timeout to end it';
  }
  return undefined;
}

/**
 * What each scenario must wait by its design, in ms (rig/guest/scenarios.c):
 * the blocked writer held past 1.2 s, the 2 s timeouts, the six 1 s
 * heartbeats, the ten 300+300 ms load rounds. Anything the guest spends
 * beyond these is overhead (the bench's scenarioOverheadRatio).
 */
export const REQUIRED_WAIT_MS: Record<ScenarioId, number> = {
  'freeze-thaw': 0,
  'writes-block': 1200,
  'metadata-blocks': 1200,
  'reads-proceed': 0,
  errors: 0,
  'timeout-fires': 2000,
  'timeout-reset': 6000 + 2000,
  'timeout-compat-args': 4 * 1600,
  'self-deadlock-rescue': 2000,
  'thaw-timeout-race': 3 * (2000 + 60),
  'legacy-xfs-ioctl': 1200,
  'umount-frozen': 0,
  'freeze-under-load': 10 * 600,
  'snapshot-consistent': 3 * 300,
  'no-device-writes': 500 + 3000,
  'dmesg-clean': 0,
};

/**
 * What each scenario takes in a guest, in ms: its required waits plus the
 * work around them (TCG, 2 cores, six guests at once, kernel-config/timers;
 * measured with `freeze-rig run --series generic-v2 --vms-per-fs 3`). XFS pays
 * about 100 ms more per freeze for its quiesce. Only the split below uses them.
 */
export const GUEST_MS: Record<'ext3' | 'xfs', Record<ScenarioId, number>> = {
  ext3: {
    'freeze-thaw': 50,
    'writes-block': 1300,
    'metadata-blocks': 1300,
    'reads-proceed': 50,
    errors: 50,
    'timeout-fires': 2050,
    'timeout-reset': 8050,
    'timeout-compat-args': 6600,
    'self-deadlock-rescue': 2050,
    'thaw-timeout-race': 6350,
    'legacy-xfs-ioctl': 1250,
    'umount-frozen': 50,
    'freeze-under-load': 6250,
    'snapshot-consistent': 1800,
    'no-device-writes': 3600,
    'dmesg-clean': 0,
  },
  xfs: {
    'freeze-thaw': 150,
    'writes-block': 1400,
    'metadata-blocks': 1400,
    'reads-proceed': 150,
    errors: 250,
    'timeout-fires': 2150,
    'timeout-reset': 8150,
    'timeout-compat-args': 6950,
    'self-deadlock-rescue': 2150,
    'thaw-timeout-race': 6650,
    'legacy-xfs-ioctl': 1350,
    'umount-frozen': 150,
    'freeze-under-load': 7300,
    'snapshot-consistent': 2300,
    'no-device-writes': 3750,
    'dmesg-clean': 0,
  },
};

/**
 * What one more guest costs the others: its boot, about 1 s of CPU under
 * TCG, shared by two cores (measured: the guests' time beyond their
 * scenarios grew from 4.4 s to 5.1 s from 8 to 10 guests).
 */
export const GUEST_BOOT_MS = 1000;

/** Longest first onto the lightest of k groups. Pure. */
function longestFirst(ids: readonly ScenarioId[], k: number, ms: (id: ScenarioId) => number): { ids: ScenarioId[]; ms: number }[] {
  const groups = Array.from({ length: k }, () => ({ ids: [] as ScenarioId[], ms: 0 }));
  for (const id of [...ids].sort((a, b) => ms(b) - ms(a))) {
    const g = groups.reduce((min, x) => (x.ms < min.ms ? x : min));
    g.ids.push(id);
    g.ms += ms(id);
  }
  return groups.filter((g) => g.ids.length);
}

/**
 * Splits the scenarios one guest of `fs` would run into at most `vms` groups
 * of about equal guest time (GUEST_MS, longest first onto the lightest
 * group), each group in catalogue order. A further guest is started only
 * where it shortens the longest group by more than its boot costs. Pure.
 */
export function splitScenarios(ids: readonly ScenarioId[], vms: number, fs: 'ext3' | 'xfs' = 'ext3'): ScenarioId[][] {
  const ms = (id: ScenarioId) => GUEST_MS[fs][id];
  let best = longestFirst(ids, 1, ms);
  for (let k = 2; k <= vms; k++) {
    const split = longestFirst(ids, k, ms);
    const longest = (gs: typeof split) => Math.max(0, ...gs.map((g) => g.ms));
    if (longest(split) + GUEST_BOOT_MS < longest(best)) best = split;
  }
  return best.map((g) => SCENARIOS.filter((s) => g.ids.includes(s)));
}
