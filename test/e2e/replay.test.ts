/**
 * A failure seen once can be shown again: a recorded guest's known issue
 * (generic-v2's lost timer in reset-at-expiry) replays from its log to the
 * same console, byte for byte, with no rig and no host side. And a guest in
 * virtual time still fails where the kernel is wrong (a known-bad fixture).
 */
import { describe, expect, it } from 'vitest';
import { useTmp } from '../helpers/tmp.ts';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheLayout, repoPath } from '../../src/paths.ts';
import { readCachedSource } from '../../src/source/cache.ts';
import { LINUX_2_6_27 } from '../../src/source/linux-2.6.27.ts';
import { runPipeline } from '../../src/pipeline/run.ts';
import { replayMatches } from '../../src/vm/replay.ts';
import { schemaErrors } from '../../src/report/validate.ts';

const source = await readCachedSource(cacheLayout(), LINUX_2_6_27.treeId);
// each test's run directory, removed after it
const runDir = useTmp();
const quiet = { say: () => undefined, result: () => undefined };

describe.skipIf(!source)('recorded guests and virtual time, on real kernels', () => {
  it("--record: generic-v2's reset-at-expiry known issue keeps its recording, which replays to the same console byte for byte", async () => {
    const dir = await runDir();
    const o = await runPipeline({ layout: cacheLayout(), revisions: ['generic-v2'], scenarios: ['reset-at-expiry'], filesystems: ['ext3'], record: true, vmsPerFs: 1, jobs: 2, runDir: dir, command: 'e2e record' }, quiet);
    const r = o.report.results.find((x) => x.scenario === 'reset-at-expiry')!;
    expect(r.status, r.observed).toBe('fail');
    expect(r.known).toBeDefined();
    expect(r.replay).toMatch(/^sh .*ext3-replay\.sh$/);
    const boot = o.report.revisions[0]!.boots[0]!;
    expect(boot.replayLogBytes).toBeGreaterThan(10_000);
    expect(schemaErrors(JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')))).toEqual([]);
    expect(await readFile(join(dir, 'junit.xml'), 'utf8')).toContain('replay: sh ');
    // the report's console path is relative to the run directory
    const replay = await replayMatches(join(dir, 'generic-v2', 'ext3-replay.sh'), join(dir, boot.console));
    expect(replay.firstDifference).toBeUndefined();
    expect(replay.same).toBe(true);
    // what the replay needs is beside its script; what passed left nothing
    for (const f of ['bzImage', 'vmlinux', 'ext3.rr', 'ext3-replay-disk0.img']) expect((await stat(join(dir, 'generic-v2', f))).size).toBeGreaterThan(0);
  }, 600_000);

  it('--clock virtual: the known-bad bad-timeout-never-fires still fails timeout-fires, and generic-v2 still passes it', async () => {
    const dir = await runDir();
    const o = await runPipeline(
      { layout: cacheLayout(), revisions: ['generic-v2', repoPath('test/fixtures/series/bad-timeout-never-fires')], scenarios: ['timeout-fires'], filesystems: ['ext3'], clock: 'virtual', vmsPerFs: 1, jobs: 2, runDir: dir, command: 'e2e virtual' },
      quiet,
    );
    const by = (rev: string) => o.report.results.find((x) => x.revision === rev && x.scenario === 'timeout-fires')!;
    expect(by('generic-v2').status, by('generic-v2').observed).toBe('pass');
    expect(by('bad-timeout-never-fires').status, by('bad-timeout-never-fires').observed).toBe('fail');
    expect(o.report.revisions.flatMap((v) => v.boots.map((b) => b.clock))).toEqual(['virtual', 'virtual']);
  }, 900_000);

  it("--clock virtual: a scenario that asks the host runs in virtual time (the I/O keeper spins through the ask): baseline XFS's no-device-writes still shows its known issue, generic-v3 passes", async () => {
    const dir = await runDir();
    const o = await runPipeline(
      { layout: cacheLayout(), revisions: ['baseline', 'generic-v3'], scenarios: ['no-device-writes'], filesystems: ['xfs'], clock: 'virtual', vmsPerFs: 1, jobs: 2, runDir: dir, command: 'e2e virtual asks' },
      quiet,
    );
    const by = (rev: string) => o.report.results.find((x) => x.revision === rev && x.scenario === 'no-device-writes')!;
    expect(by('generic-v3').status, by('generic-v3').observed).toBe('pass');
    expect(by('baseline').status, by('baseline').observed).toBe('fail');
    expect(by('baseline').known, by('baseline').observed).toBeTruthy();
    expect(o.report.revisions.flatMap((v) => v.boots.map((b) => b.clock))).toEqual(['virtual', 'virtual']);
  }, 900_000);
});
