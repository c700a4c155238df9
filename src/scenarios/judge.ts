import type { FsName } from '../guest/disk-images.ts';
import type { Manifest } from './manifest.ts';

/** One observation the guest made ({"event":"check",...}). */
export interface Check {
  fs: string;
  scenario: string;
  name: string;
  ret: number;
  errno: number;
  ms: number;
}

export type Status = 'pass' | 'fail' | 'skip' | 'error';

export interface ScenarioResult {
  revision: string;
  fs: FsName;
  scenario: string;
  status: Status;
  expected: string;
  observed: string;
  metrics: Record<string, { value: number; unit: string }>;
}

/** The scenarios this cut of the rig runs, in order. */
export const SCENARIOS = ['freeze-thaw', 'writes-block'] as const;

/** Limits the scenarios hold the kernel to (see the issue's catalogue). */
export const LIMITS = { blockedAtLeastMs: 1000, resumeWithinMs: 1000 };

const find = (checks: Check[], name: string) => checks.find((c) => c.name === name);
const errnoText = (c?: Check) => (c ? (c.ret < 0 ? `errno ${c.errno}` : `ret ${c.ret}`) : 'missing');

/**
 * Judges one scenario on one filesystem against the revision's manifest.
 * Pure: the guest reports facts, this decides.
 */
export function judge(revision: string, manifest: Manifest, fs: FsName, scenario: string, all: Check[]): ScenarioResult {
  const checks = all.filter((c) => c.fs === fs && c.scenario === scenario);
  const base = { revision, fs, scenario, metrics: {} as ScenarioResult['metrics'] };
  const m = manifest.filesystems[fs];
  if (!m?.iface) {
    return { ...base, status: 'skip', expected: `no freeze interface on ${fs} (manifest: ${m?.why ?? 'none'})`, observed: 'not run' };
  }
  if (!checks.length) return { ...base, status: 'error', expected: 'guest observations', observed: 'none reported' };
  if (scenario === 'freeze-thaw') {
    const f = find(checks, 'freeze');
    const t = find(checks, 'thaw');
    const ok = f?.ret === 0 && t?.ret === 0;
    if (f) base.metrics.freezeLatency = { value: f.ms, unit: 'ms' };
    if (t) base.metrics.thawLatency = { value: t.ms, unit: 'ms' };
    return { ...base, status: ok ? 'pass' : 'fail', expected: 'freeze 0, thaw 0', observed: `freeze ${errnoText(f)}, thaw ${errnoText(t)}` };
  }
  if (scenario === 'writes-block') {
    const f = find(checks, 'freeze');
    const blocked = find(checks, 'blocked-while-frozen');
    const resumed = find(checks, 'writer-resumed');
    const back = find(checks, 'data-reads-back');
    const problems: string[] = [];
    if (f?.ret !== 0) problems.push(`freeze ${errnoText(f)}`);
    else {
      if (!(blocked?.ret === 1 && blocked.ms >= LIMITS.blockedAtLeastMs)) problems.push(`writer not blocked after ${blocked?.ms ?? '?'} ms frozen`);
      if (!(resumed?.ret === 1 && resumed.ms <= LIMITS.resumeWithinMs)) problems.push(`writer ${resumed?.ret === 1 ? `resumed only ${resumed.ms} ms` : 'did not resume within 5 s'} after thaw`);
      if (back?.ret !== 1) problems.push('data does not read back');
    }
    if (blocked) base.metrics.blockedFor = { value: blocked.ms, unit: 'ms' };
    if (resumed) base.metrics.writerWakeLatency = { value: resumed.ms, unit: 'ms' };
    return {
      ...base,
      status: problems.length ? 'fail' : 'pass',
      expected: `write+fsync blocked >= ${LIMITS.blockedAtLeastMs} ms while frozen, returns <= ${LIMITS.resumeWithinMs} ms after thaw, data reads back`,
      observed: problems.length ? problems.join('; ') : `blocked ${blocked!.ms} ms, resumed ${resumed!.ms} ms after thaw, data ok`,
    };
  }
  return { ...base, status: 'error', expected: 'a known scenario', observed: `unknown scenario ${scenario}` };
}
