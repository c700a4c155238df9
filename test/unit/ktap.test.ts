/**
 * KTAP version 1 from a report, read back by a TAP 14 parser from npm
 * (tap-parser): the nesting revision > filesystem > scenario, ok and not
 * ok as the judge decided, a skip with its reason, a known issue as TODO.
 */
import { describe, expect, it } from 'vitest';
import { toKtap } from '../../src/report/ktap.ts';
import { finishReport } from '../../src/report/report-model.ts';
import { REPORT_FORMAT, type ReportResult } from '../../src/report/report-types.ts';
import { parseKtap } from '../helpers/ktap.ts';

const res = (revision: string, fs: 'ext3' | 'xfs', scenario: string, status: ReportResult['status'], extra: Partial<ReportResult> = {}): ReportResult => ({ revision, fs, scenario, status, expected: `${scenario} expected # with a hash`, observed: `${scenario} observed\nsecond line`, metrics: {}, ...extra });
const rev = (revision: string) => ({ revision, summary: '', patches: [], build: { durationSeconds: 1, compiled: 1, warnings: 0, warningsComplete: true, newWarnings: [], config: 'c', reproducer: 'make' }, boots: [] });

const report = finishReport({
  format: REPORT_FORMAT,
  complete: true,
  createdAt: '2026-12-01T10:00:00.000Z',
  kernel: { version: '2.6.27', treeId: 't' },
  host: { hostname: 'h', toolchain: {} },
  command: 'freeze-rig run',
  revisions: [rev('baseline'), rev('generic-v2')],
  results: [
    res('baseline', 'ext3', 'writes-block', 'fail'),
    res('baseline', 'ext3', 'timeout-fires', 'skip'),
    res('baseline', 'xfs', 'writes-block', 'pass'),
    res('generic-v2', 'ext3', 'writes-block', 'pass'),
    res('generic-v2', 'ext3', 'reset-at-expiry', 'fail', { known: 'the reset loses the timer' }),
    res('generic-v2', 'xfs', 'writes-block', 'error', { console: ['BUG: soft lockup'] }),
  ],
});

describe('KTAP export', () => {
  it('starts with the KTAP version line and nests revision > filesystem > scenario, four spaces a level', () => {
    const text = toKtap(report);
    expect(text.split('\n').slice(0, 7)).toEqual(['KTAP version 1', '1..2', '    KTAP version 1', '    # Subtest: baseline', '    1..2', '        KTAP version 1', '        # Subtest: ext3']);
    expect(text).toContain('        ok 2 timeout-fires # SKIP timeout-fires expected no. with a hash');
    expect(text).toContain('        not ok 2 reset-at-expiry # TODO known issue: the reset loses the timer');
    expect(text.trimEnd().split('\n').at(-1)).toBe('not ok 2 generic-v2');
  });

  it('reads back through tap-parser as the report says: every result a test point, its parents failing only for a real failure', async () => {
    const { points, ok } = await parseKtap(toKtap(report));
    const leaf = (p: string[]) => points.find((x) => x.path.join('/') === p.join('/'))!;
    expect(points.filter((p) => p.path.length === 3)).toHaveLength(report.results.length);
    expect(leaf(['baseline', 'ext3', 'writes-block'])).toMatchObject({ ok: false, skip: false, todo: false });
    expect(leaf(['baseline', 'ext3', 'writes-block']).diag).toEqual(['expected: writes-block expected # with a hash', 'observed: writes-block observed', 'second line']);
    expect(leaf(['baseline', 'ext3', 'timeout-fires'])).toMatchObject({ ok: true, skip: true });
    expect(leaf(['generic-v2', 'ext3', 'reset-at-expiry'])).toMatchObject({ ok: false, todo: true });
    expect(leaf(['generic-v2', 'xfs', 'writes-block']).diag).toContain('error of the rig, not of the kernel');
    // a known issue does not fail its filesystem; a failure and an error do
    expect(leaf(['generic-v2', 'ext3'])).toMatchObject({ ok: true });
    expect(leaf(['generic-v2', 'xfs'])).toMatchObject({ ok: false });
    expect(leaf(['baseline'])).toMatchObject({ ok: false });
    expect(ok).toBe(false);
  });
});
