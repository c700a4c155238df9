/**
 * run --per-patch: the patch x scenario matrix from the prefixes' results,
 * as report.json (schema), junit.xml (XSD) and report.html carry it.
 */
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { matrixLine, patchMatrix, type PrefixRun } from '../../src/report/patch-matrix.ts';
import type { ScenarioResult } from '../../src/scenarios/judge.ts';
import { buildReport } from '../../src/report/report-model.ts';
import type { BuildRecord } from '../../src/kbuild/build-kernel.ts';
import { schemaErrors } from '../../src/report/validate.ts';
import { toJunit } from '../../src/report/junit.ts';
import { toHtml } from '../../src/report/html.ts';
import { repoPath } from '../../src/paths.ts';
import { useTmp } from '../helpers/tmp.ts';

const tmp = useTmp();

const r = (revision: string, fs: 'ext3' | 'xfs', scenario: string, status: ScenarioResult['status'], known?: string): ScenarioResult => ({
  revision,
  fs,
  scenario,
  status,
  expected: `${scenario} expected`,
  observed: `${scenario} observed at ${revision}\nsecond line`,
  metrics: {},
  ...(known ? { known } : {}),
});

const names = ['0001-ioctls.patch', '0002-xfs.patch', '0003-timeout.patch', '0004-log.patch', '0005-clean.patch'];
/** prefixes 1..4 of a five-patch revision; status(k, fs, scenario) */
const prefixes = (status: (k: number, fs: 'ext3' | 'xfs', s: string) => ScenarioResult['status']): PrefixRun[] =>
  [1, 2, 3, 4].map((k) => ({
    k,
    layer: 'v2',
    name: names[k - 1]!,
    dir: `v2@${k}`,
    results: (['ext3', 'xfs'] as const).flatMap((fs) => ['writes-block', 'timeout-fires', 'dm-snapshot'].map((s) => r(`v2@${k}`, fs, s, status(k, fs, s)))),
  }));
const finals = (['ext3', 'xfs'] as const).flatMap((fs) => ['writes-block', 'timeout-fires', 'dm-snapshot'].map((s) => r('v2', fs, s, 'pass')));
// FIFREEZE from 1/5, the timeout from 3/5, the XFS snapshot only at 5/5 (ext3's from 1/5)
const story = (k: number, fs: string, s: string) => (s === 'timeout-fires' ? (k >= 3 ? 'pass' : 'fail') : s === 'dm-snapshot' && fs === 'xfs' ? 'fail' : 'pass');

describe('patchMatrix', () => {
  it('marks for each scenario the first patch from which it has its final result', () => {
    const m = patchMatrix(prefixes(story), { dir: 'v2', layer: 'v2', name: names[4]!, results: finals });
    expect(m.patches.map((p) => p.name)).toEqual(names);
    const at = (fs: string, s: string) => m.rows.find((x) => x.fs === fs && x.scenario === s)!;
    expect(at('ext3', 'writes-block').reachesAt).toBe(1);
    expect(at('xfs', 'timeout-fires').reachesAt).toBe(3);
    expect(at('xfs', 'dm-snapshot').reachesAt).toBe(5);
    expect(at('xfs', 'dm-snapshot').cells.map((c) => c.status)).toEqual(['fail', 'fail', 'fail', 'fail', 'pass']);
    expect(at('xfs', 'dm-snapshot').cells[0]!.observed).toBe('dm-snapshot observed at v2@1');
    expect(m.rows.every((x) => x.breaksAt.length === 0)).toBe(true);
    expect(matrixLine(at('xfs', 'timeout-fires'), 5)).toBe('fail fail pass pass pass: from 3/5');
  });

  it('names the patch that breaks a scenario which had met the manifest, even if a later patch mends it', () => {
    const m = patchMatrix(prefixes((k, _fs, s) => (s === 'writes-block' && k === 3 ? 'fail' : 'pass')), { dir: 'v2', layer: 'v2', name: names[4]!, results: finals });
    const row = m.rows.find((x) => x.fs === 'ext3' && x.scenario === 'writes-block')!;
    expect(row.breaksAt).toEqual([3]);
    expect(row.reachesAt).toBe(4);
    expect(matrixLine(row, 5)).toBe('pass pass fail pass pass: from 4/5; broken by 3/5');
  });

  it('gives no patch for a scenario whose final result misses the manifest; a known issue counts as met', () => {
    const last = finals.map((x) => (x.scenario === 'writes-block' && x.fs === 'ext3' ? { ...x, status: 'fail' as const } : x.scenario === 'writes-block' ? { ...x, status: 'fail' as const, known: 'a known issue with its evidence' } : x));
    const m = patchMatrix(prefixes(() => 'pass'), { dir: 'v2', layer: 'v2', name: names[4]!, results: last });
    expect(m.rows.find((x) => x.fs === 'ext3' && x.scenario === 'writes-block')).toMatchObject({ reachesAt: null, breaksAt: [5] });
    expect(m.rows.find((x) => x.fs === 'xfs' && x.scenario === 'writes-block')).toMatchObject({ reachesAt: 5, breaksAt: [] });
  });

  it('shows a prefix that did not build as an error in every row', () => {
    const m = patchMatrix(prefixes(story).slice(0, 2), { dir: 'v2', layer: 'v2', name: names[4]!, results: finals });
    expect(m.patches).toHaveLength(3);
    expect(m.rows[0]!.cells).toHaveLength(3);
  });
});

describe('per-patch in the report', () => {
  const build = { durationSeconds: 1, compiled: 1, warningCount: 0, warnings: [], warningsComplete: true, config: { sha256: 'c' }, reproducer: 'make', kernel: { version: '2.6.27', treeId: 't' }, toolchain: {} } as unknown as BuildRecord;
  const report = () =>
    buildReport({
      createdAt: '2026-12-01T10:00:00.000Z',
      hostname: 'h',
      command: 'freeze-rig run --per-patch',
      complete: true,
      runs: [
        {
          revision: 'v2',
          summary: 's',
          build,
          patches: names.map((name) => ({ layer: 'v2', name, subject: name, applied: { fuzz: [], offsets: [] }, checkpatch: { errors: 0, warnings: 0, lines: [] } as never })),
          delta: { against: 'baseline', newWarnings: [] },
          boots: [],
          results: finals,
          prefixes: prefixes(story),
        },
      ],
    });

  it('validates against the report schema, with the matrix under its revision', () => {
    const rep = report();
    expect(schemaErrors(rep)).toEqual([]);
    expect(rep.revisions[0]!.perPatch!.rows).toHaveLength(6);
    // the prefixes' results are not the run's results: they do not count for the verdict or the comparison
    expect(rep.results).toHaveLength(6);
  });

  it('puts each row into junit.xml as a property of its suite, and the XSD still holds', async () => {
    const xml = toJunit(report());
    expect(xml).toContain('<property name="per-patch.timeout-fires" value="fail fail pass pass pass: from 3/5"/>');
    const dir = await tmp();
    await writeFile(join(dir, 'junit.xml'), xml);
    const v = await execa('xmllint', ['--noout', '--schema', repoPath('src/report/junit.xsd'), join(dir, 'junit.xml')], { reject: false });
    expect(v.exitCode, v.stderr).toBe(0);
  });

  it('renders a table per filesystem in report.html', () => {
    const html = toHtml(report());
    expect(html).toContain('<h2>Per patch</h2>');
    expect(html).toContain('<h3>v2 on xfs</h3>');
    expect(html).toContain('5/5 0005-clean.patch');
  });
});
