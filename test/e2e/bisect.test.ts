/**
 * Which patch? On real kernels: `run --per-patch` boots each patch prefix of
 * generic-v2 and says from which patch each scenario meets the manifest;
 * `freeze-rig bisect` names the bad patch in the middle of the fixture
 * bad-middle-atime-waits, whose failure is racy (about one run in two), so
 * it needs --tries. Exit codes as git bisect run reads them.
 */
import { describe, expect, it } from 'vitest';
import { useTmp } from '../helpers/tmp.ts';
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheLayout, repoPath } from '../../src/paths.ts';
import { readCachedSource } from '../../src/source/cache.ts';
import { LINUX_2_6_27 } from '../../src/source/linux-2.6.27.ts';
import { runPipeline } from '../../src/pipeline/run.ts';
import { schemaErrors } from '../../src/report/validate.ts';
import type { BisectOutcome } from '../../src/pipeline/bisect.ts';

const source = await readCachedSource(cacheLayout(), LINUX_2_6_27.treeId);
if (!source) console.warn(`\n*** SKIPPED: the bisect e2e tests need Linux ${LINUX_2_6_27.version} in the rig's cache: npm run freeze-rig -- source fetch (or source import) ***\n`);

const cli = (args: string[]) => execa('node', [repoPath('bin/freeze-rig.js'), ...args], { reject: false, all: true, env: { FORCE_COLOR: '0' } });
const FIXTURE = repoPath('test/fixtures/series/bad-middle-atime-waits');
// each test's run directory, removed after it
const runDir = useTmp();

describe.skipIf(!source)('which patch: per-patch runs and bisect, on real kernels', () => {
  it('run --per-patch: FIFREEZE scenarios meet the manifest from 1/5, the timeout from 3/5, the XFS snapshot from 5/5', async () => {
    const dir = await runDir();
    const outcome = await runPipeline(
      { layout: cacheLayout(), revisions: ['generic-v2'], scenarios: ['writes-block', 'timeout-fires', 'dm-snapshot'], vmsPerFs: 3, perPatch: true, jobs: 2, runDir: dir, command: 'e2e per-patch' },
      { say: () => undefined, result: () => undefined },
    );
    const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'));
    expect(schemaErrors(report)).toEqual([]);
    const m = outcome.report.revisions[0]!.perPatch!;
    expect(m.patches.map((p) => p.dir)).toEqual(['generic-v2@1', 'generic-v2@2', 'generic-v2@3', 'generic-v2@4', 'generic-v2']);
    const table = m.rows.map((x) => `${x.fs} ${x.scenario}: ${x.cells.map((c) => c.status).join(' ')} from ${x.reachesAt}`).join('\n');
    const at = (fs: string, s: string) => m.rows.find((x) => x.fs === fs && x.scenario === s)?.reachesAt;
    expect(at('ext3', 'writes-block'), table).toBe(1);
    expect(at('xfs', 'writes-block'), table).toBe(1);
    expect(at('ext3', 'timeout-fires'), table).toBe(3);
    expect(at('xfs', 'timeout-fires'), table).toBe(3);
    expect(at('xfs', 'dm-snapshot'), table).toBe(5);
    expect(m.rows.flatMap((x) => x.breaksAt), table).toEqual([]);
    expect(await readFile(join(dir, 'junit.xml'), 'utf8')).toContain('<property name="per-patch.timeout-fires" value="fail fail pass pass pass: from 3/5"/>');
    // the prefixes' guests are in the run directory, beside the revision's
    expect(report.revisions[0].boots.length).toBeGreaterThan(0);
  }, 1_800_000);

  it('bisect names the bad patch in the middle of a series, though it fails only one run in two (--tries 8), and exits 1', async () => {
    const dir = await runDir();
    const r = await cli(['bisect', '--series', FIXTURE, '--scenario', 'reads-proceed', '--tries', '8', '--out', dir]);
    expect(r.exitCode, r.all).toBe(1);
    expect(r.all).toMatch(/error: reads-proceed: first bad patch: 3\/6 bad-middle-atime-waits\/0001-known-bad-touch-atime-waits-for-thaw\.patch; after 2\/6 it met the manifest 8 time\(s\)/);
    expect(r.all).toMatch(/its first failure: (ext3|xfs) reads-proceed: read took \d+(\.\d+)? ms while frozen/);
    // the reproducer is the guest's script, which makes the disks the run deleted first, then runs QEMU
    const repro = /reproduce: sh (\S+-reproducer\.sh)/.exec(r.all);
    expect(repro, r.all).not.toBeNull();
    expect(await readFile(repro![1]!, 'utf8')).toMatch(/\nexec qemu-system-x86_64 /);
    const o = JSON.parse(await readFile(join(dir, 'bisect.json'), 'utf8')) as BisectOutcome;
    expect(o.culprit?.k).toBe(3);
    expect(o.probes.find((p) => p.k === 2)).toMatchObject({ verdict: 'good', runs: 8 });
  }, 1_800_000);

  it('bisect --at tests one prefix (0 good, 1 bad), and says 125 when it cannot test', async () => {
    const dir = await runDir();
    const good = await cli(['bisect', '--series', FIXTURE, '--scenario', 'writes-block', '--fs', 'ext3', '--at', '2', '--out', dir]);
    expect(good.exitCode, good.all).toBe(0);
    expect(good.all).toMatch(/writes-block after 2\/6 generic-v2\/0002-\S+: good/);
    // without its first patch the series has no FIFREEZE: writes-block cannot pass
    const none = await cli(['bisect', '--series', 'generic-v2', '--scenario', 'writes-block', '--fs', 'xfs', '--at', '5', '--good', '9', '--out', dir]);
    expect(none.exitCode, none.all).toBe(125);
    expect(none.all).toMatch(/--good 9: generic-v2 has patches 1 to 5/);
  }, 900_000);
});
