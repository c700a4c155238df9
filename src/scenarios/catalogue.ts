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
 * beyond these is overhead (the bench's scenarioOverheadRatio), and they
 * balance the scenarios across VMs.
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
 * Splits the scenarios one guest would run into at most `vms` groups of about
 * equal required waits (longest first onto the lightest group), each group
 * in catalogue order. Scenarios that wait for nothing share the first group. Pure.
 */
export function splitScenarios(ids: readonly ScenarioId[], vms: number): ScenarioId[][] {
  const groups: { ids: ScenarioId[]; ms: number }[] = Array.from({ length: Math.max(1, vms) }, () => ({ ids: [], ms: 0 }));
  const byWait = [...ids].sort((a, b) => REQUIRED_WAIT_MS[b] - REQUIRED_WAIT_MS[a]);
  for (const id of byWait) {
    const g = REQUIRED_WAIT_MS[id] ? groups.reduce((min, x) => (x.ms < min.ms ? x : min)) : groups[0]!;
    g.ids.push(id);
    g.ms += REQUIRED_WAIT_MS[id];
  }
  return groups.filter((g) => g.ids.length).map((g) => SCENARIOS.filter((s) => g.ids.includes(s)));
}
