/**
 * The report's pure parts: the model against its schema, the comparison,
 * junit.xml against the JUnit XSD (xmllint), the merge of shards, timelines.
 */
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { countsLine, finishReport } from '../../src/report/report-model.ts';
import { REPORT_FORMAT, type Report, type ReportResult, type ReportRevision } from '../../src/report/report-types.ts';
import { schemaErrors } from '../../src/report/validate.ts';
import { compareReports, comparisonText, figuresOf, regressions } from '../../src/report/compare.ts';
import { toJunit } from '../../src/report/junit.ts';
import { toHtml } from '../../src/report/html.ts';
import { mergeReports } from '../../src/report/merge.ts';
import { frozenWindows, timelineSvg } from '../../src/report/timeline-svg.ts';
import { chromiumArgs, consoleMessages } from '../../src/report/chromium.ts';
import { repoPath } from '../../src/paths.ts';
import { useTmp } from '../helpers/tmp.ts';
import { RigError } from '../../src/errors.ts';

const tmp = useTmp();

const rev = (revision: string, fsList: ('ext3' | 'xfs')[] = ['ext3', 'xfs'], text = 1000): ReportRevision => ({
  revision,
  summary: `${revision} summary`,
  patches: [{ layer: revision, name: '0001-x.patch', subject: '[PATCH] x', applied: true, fuzz: 0, offsets: 0, checkpatch: { errors: 0, warnings: 0 } }],
  build: { durationSeconds: 3, compiled: 2, warnings: 10, warningsComplete: true, newWarnings: [], sizes: { text, data: 2, bss: 3 }, sizeDelta: { text: text - 1000, data: 0, bss: 0 }, config: 'cfg', reproducer: 'make' },
  boots: fsList.map((fs) => ({ fs, name: fs, scenarios: ['writes-block', 'timeout-fires'], accel: 'tcg', seconds: 10, end: 'poweroff', console: `${revision}/${fs}-console.log`, reproducer: `qemu-system-x86_64 ${revision} ${fs}`, scenarioMs: { 'timeout-fires': 2100 }, deviceWrites: {}, fsck: { command: 'e2fsck -fn', exitCode: 0, output: [] } })),
});

const res = (revision: string, fs: 'ext3' | 'xfs', scenario: string, status: ReportResult['status'], extra: Partial<ReportResult> = {}): ReportResult => ({
  revision,
  fs,
  scenario,
  status,
  expected: `${scenario} expected`,
  observed: `${scenario} observed`,
  metrics: {},
  ...extra,
});

const timeoutChecks = [
  { name: 'freeze', ret: 0, errno: 0, ms: 5, v: 2000, t: 6 },
  { name: 'expired', ret: 1, errno: 0, ms: 2011, v: 2000, t: 2017 },
  { name: 'thaw-after-expiry', ret: -1, errno: 22, ms: 0.1, t: 2018 },
];

function report(revisions: ReportRevision[], results: ReportResult[]): Report {
  return finishReport({ format: REPORT_FORMAT, complete: true, createdAt: '2026-11-21T10:00:00.000Z', kernel: { version: '2.6.27', treeId: 'a3fc' }, host: { hostname: 'h', toolchain: { gcc: '12.2' } }, command: 'freeze-rig run', revisions, results });
}

const sample = () =>
  report(
    [rev('baseline'), rev('generic-v2', ['ext3', 'xfs'], 2175)],
    [
      res('baseline', 'ext3', 'writes-block', 'fail'),
      res('baseline', 'ext3', 'timeout-fires', 'skip'),
      res('baseline', 'xfs', 'writes-block', 'pass', { metrics: { freezeLatency: { value: 400, unit: 'ms' }, writerWakeLatency: { value: 20, unit: 'ms' } } }),
      res('baseline', 'xfs', 'timeout-fires', 'skip'),
      res('generic-v2', 'ext3', 'writes-block', 'pass'),
      res('generic-v2', 'ext3', 'timeout-fires', 'pass', { checks: timeoutChecks, metrics: { timeoutError: { value: 11, unit: 'ms' } } }),
      res('generic-v2', 'xfs', 'writes-block', 'error', { observed: 'the guest ended (timeout) during writes-block', console: ['BUG: soft lockup - CPU#0 stuck for 61s! <init>', '\u0007bell & "quotes"'], reproducer: 'qemu-system-x86_64 ...' }),
      res('generic-v2', 'xfs', 'timeout-fires', 'pass', { checks: timeoutChecks }),
    ],
  );

describe('report.json and its schema', () => {
  it('validates a report the model builds', () => {
    expect(schemaErrors(sample())).toEqual([]);
  });

  it('rejects what is not a report: an unknown status, a metric without a unit', () => {
    const bad = structuredClone(sample()) as unknown as { results: { status: string; metrics: Record<string, unknown> }[] };
    bad.results[0]!.status = 'maybe';
    bad.results[1]!.metrics = { freezeLatency: { value: 3 } };
    const errors = schemaErrors(bad);
    expect(errors.join('\n')).toMatch(/results\/0\/status/);
    expect(errors.join('\n')).toMatch(/results\/1\/metrics\/freezeLatency must have required property 'unit'/);
  });

  it('derives the freeze figures from the scenarios that measure them', () => {
    expect(sample().figures.find((f) => f.revision === 'baseline' && f.fs === 'xfs')).toEqual({ revision: 'baseline', fs: 'xfs', freezeLatencyMs: 400, writerWakeLatencyMs: 20 });
    expect(sample().figures.find((f) => f.revision === 'generic-v2' && f.fs === 'ext3')!.timeoutErrorMs).toBe(11);
  });
});

describe('comparing revisions', () => {
  it('says what got worse, better, gained, between consecutive revisions', () => {
    const [step] = sample().comparison.steps;
    expect(step!.better.map((t) => `${t.fs} ${t.scenario}`)).toEqual(['ext3 writes-block']);
    expect(step!.worse.map((t) => `${t.fs} ${t.scenario} ${t.from}->${t.to}`)).toEqual(['xfs writes-block pass->error']);
    expect(step!.gained.map((t) => `${t.fs} ${t.scenario}`)).toEqual(['ext3 timeout-fires', 'xfs timeout-fires']);
    expect(step!.build).toMatchObject({ textDelta: 1175, warningsFrom: 10, warningsTo: 10, newWarnings: 0 });
  });

  it('compares two stored runs revision by revision, and counts regressions', () => {
    const a = sample();
    const b = structuredClone(a);
    b.results.find((r) => r.revision === 'generic-v2' && r.fs === 'ext3' && r.scenario === 'writes-block')!.status = 'fail';
    const c = compareReports(a, b);
    expect(c.steps.map((s) => `${s.from} ${s.to}`)).toEqual(['a:baseline b:baseline', 'a:generic-v2 b:generic-v2']);
    expect(regressions(c)).toBe(1);
    expect(comparisonText(c)).toMatch(/WORSE  ext3  writes-block +pass -> fail/);
    expect(regressions(compareReports(a, a))).toBe(0);
  });

  it('puts the scenario\'s figures on both sides beside a change of status, in report.json, the text and the page', () => {
    const a = report([rev('generic-v2')], [res('generic-v2', 'xfs', 'dm-snapshot', 'fail', { metrics: { dmSuspendWaitedForThaw: { value: 1219, unit: 'ms' }, snapshotASetup: { value: 20, unit: 'ms' } } })]);
    const b = report([rev('generic-v3')], [res('generic-v3', 'xfs', 'dm-snapshot', 'pass', { metrics: { snapshotASetup: { value: 19, unit: 'ms' }, dmSuspendLockfs: { value: 275, unit: 'ms' } } })]);
    const t = compareReports(a, b).steps[0]!.better[0]!;
    // what moved most first: a figure one side lacks, then by relative change
    expect(t.figures).toEqual(['dmSuspendLockfs - -> 275 ms', 'dmSuspendWaitedForThaw 1219 -> - ms', 'snapshotASetup 20 -> 19 ms']);
    expect(comparisonText(compareReports(a, b))).toMatch(/BETTER xfs   dm-snapshot +fail -> pass: .*\n +dmSuspendLockfs - -> 275 ms; dmSuspendWaitedForThaw 1219 -> - ms; snapshotASetup 20 -> 19 ms/);
    const both = report([rev('generic-v2'), rev('generic-v3')], [...a.results, ...b.results]);
    expect(schemaErrors(both)).toEqual([]);
    expect(toHtml(both)).toContain('snapshotASetup 20 -&gt; 19 ms');
    // XFS's no-device-writes from generic-v2 to generic-v3 (runs of 2026-12-01): the mmap and splice writes lead, not the timings
    const before = { metrics: { freezeLatency: { value: 193.4, unit: 'ms' }, deviceWriteRequests_mmap: { value: 44, unit: 'requests' }, deviceWriteRequests_splice: { value: 2, unit: 'requests' }, deviceWriteRequests_odirect: { value: 0, unit: 'requests' } } };
    const after = { metrics: { freezeLatency: { value: 123.7, unit: 'ms' }, deviceWriteRequests_mmap: { value: 0, unit: 'requests' }, deviceWriteRequests_splice: { value: 0, unit: 'requests' }, deviceWriteRequests_odirect: { value: 0, unit: 'requests' } } };
    expect(figuresOf(before, after)).toEqual(['deviceWriteRequests_mmap 44 -> 0 requests', 'deviceWriteRequests_splice 2 -> 0 requests', 'freezeLatency 193.4 -> 123.7 ms', 'deviceWriteRequests_odirect 0 -> 0 requests']);
  });

  it('pairs two single-revision runs with different names', () => {
    const a = report([rev('v1')], [res('v1', 'ext3', 'errors', 'pass')]);
    const b = report([rev('v2')], [res('v2', 'ext3', 'errors', 'fail')]);
    expect(compareReports(a, b).steps[0]).toMatchObject({ from: 'a:v1', to: 'b:v2', worse: [{ scenario: 'errors' }] });
  });
});

describe('junit.xml', () => {
  const xsd = repoPath('src/report/junit.xsd');
  const validate = async (xml: string) => {
    const dir = await tmp();
    await writeFile(join(dir, 'junit.xml'), xml);
    return execa('xmllint', ['--noout', '--schema', xsd, join(dir, 'junit.xml')], { reject: false });
  };

  it('has one testcase per revision x filesystem x scenario, and validates against the JUnit XSD', async () => {
    const xml = toJunit(sample());
    expect(xml.match(/<testcase /g)).toHaveLength(8);
    expect(xml.match(/<testsuite /g)).toHaveLength(4);
    expect(xml).toContain('<error message="the guest ended (timeout) during writes-block" type="infrastructure">');
    expect(xml).toContain('BUG: soft lockup - CPU#0 stuck for 61s! &lt;init&gt;');
    expect(xml).toContain('?bell &amp; &quot;quotes&quot;');
    // the skip reason as text too (GitLab reads no attribute); classname is the suite, not a guessable source file
    expect(xml).toContain('<skipped message="timeout-fires expected">timeout-fires expected</skipped>');
    expect(xml).toContain('<testcase name="writes-block" classname="baseline.ext3" time="0.000">');
    // every testcase names the console log of the guest that ran it
    expect(xml).toMatch(/<testcase name="writes-block" classname="generic-v2.ext3"[^>]*>\n {6}<system-out>console log: generic-v2\/ext3-console.log<\/system-out>/);
    const r = await validate(xml);
    expect(r.stderr).toContain('validates');
    expect(r.exitCode).toBe(0);
    // file: the manifest that states the promise
    const withManifest = toJunit({ ...sample(), revisions: sample().revisions.map((v) => ({ ...v, manifest: `patches/series/${v.revision}/manifest.json` })) });
    expect(withManifest).toContain('<testcase name="writes-block" classname="baseline.ext3" time="0.000" file="patches/series/baseline/manifest.json">');
    expect((await validate(withManifest)).exitCode).toBe(0);
  });

  it("shows a known issue's failure as skipped with its evidence, counts it so, and still validates", async () => {
    const known = 'EXT3_IOC_THAW livelocks: soft lockup in ext3_ioctl';
    const r0 = sample();
    const r1 = { ...r0, results: r0.results.map((x) => (x.revision === 'baseline' && x.fs === 'ext3' && x.scenario === 'writes-block' ? { ...x, known, console: ['BUG: soft lockup'] } : x)) };
    const xml = toJunit(r1);
    expect(xml).toContain('<skipped message="known issue (manifest), failed as expected: writes-block observed">known issue (manifest), failed as expected: writes-block observed</skipped>');
    expect(xml).toMatch(/<system-out>known issue: EXT3_IOC_THAW livelocks[^<]*\nexpected: writes-block expected\nobserved: writes-block observed\nconsole:\nBUG: soft lockup\nconsole log: baseline\/ext3-console.log<\/system-out>/);
    expect(xml).toMatch(/<testsuite name="baseline.ext3" [^>]*failures="0" errors="0" skipped="2"/);
    expect((await validate(xml)).exitCode).toBe(0);
    expect(countsLine(r1.results)).toBe('4 pass, 1 fail (1 a known issue), 2 skip, 1 error');
    expect(schemaErrors(r1)).toEqual([]);
    const html = toHtml(r1);
    // the cell links to the known issue's evidence under Failures
    expect(html).toContain('<td class="st known" title="known issue (manifest): writes-block observed"><a href="#r-baseline-ext3-writes-block">✗</a></td>');
    expect(html).toContain('<details open id="r-baseline-ext3-writes-block">');
    expect(html).toContain('KNOWN ISSUE baseline ext3 writes-block');
  });

  it('is checked for real: a testsuite without its counts does not validate', async () => {
    const r = await validate(toJunit(sample()).replace(/(<testsuite [^>]*?) failures="\d+"/, '$1'));
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/failures.*required|required.*failures/);
  });
});

describe('merging shards', () => {
  const full = sample();
  const shard = (revision: string, fs: 'ext3' | 'xfs'): Report => {
    const r = full.revisions.find((x) => x.revision === revision)!;
    return report([{ ...r, boots: r.boots.filter((b) => b.fs === fs) }], full.results.filter((x) => x.revision === revision && x.fs === fs));
  };

  it('gives the unsplit report back, whatever order the shards come in', () => {
    const merged = mergeReports([shard('baseline', 'xfs'), shard('baseline', 'ext3'), shard('generic-v2', 'xfs'), shard('generic-v2', 'ext3')], full.command);
    expect(merged).toEqual(full);
  });

  it('exits as the run does: a known issue failing as its manifest says passes the merge, one that passed fails it', async () => {
    const dir = await tmp();
    const merge = async (known: 'fail' | 'pass') => {
      // baseline ext3's failure made a known issue; generic-v2 xfs's error dropped (an error is never excused)
      const mark = (r: Report): Report => ({ ...r, results: r.results.filter((x) => x.status !== 'error').map((x) => (x.revision === 'baseline' && x.scenario === 'writes-block' && x.fs === 'ext3' ? { ...x, status: known, known: 'a known issue, with its evidence' } : x)) });
      const shards = [shard('baseline', 'ext3'), shard('generic-v2', 'ext3')].map(mark);
      for (const [i, r] of shards.entries()) await writeFile(join(dir, `${known}-${i}.json`), JSON.stringify(r));
      return execa('node', [repoPath('bin/freeze-rig.js'), 'report', 'merge', join(dir, `${known}-0.json`), join(dir, `${known}-1.json`), '--out', join(dir, `merged-${known}`)], { reject: false, all: true });
    };
    const ok = await merge('fail');
    expect(ok.exitCode, ok.all).toBe(0);
    expect(ok.all).toContain('1 fail (1 a known issue)');
    expect((await merge('pass')).exitCode).toBe(1);
  }, 60_000);

  it('refuses shards that overlap, or that ran different trees', () => {
    expect(() => mergeReports([shard('baseline', 'ext3'), shard('baseline', 'ext3')])).toThrow(RigError);
    const other = { ...shard('generic-v2', 'ext3'), kernel: { version: '2.6.27', treeId: 'other' } };
    expect(() => mergeReports([shard('baseline', 'ext3'), other])).toThrow(/different kernel trees/);
  });
});

describe('report.html', () => {
  it('shades the frozen window from the freeze to the expiry the guest saw', () => {
    expect(frozenWindows(timeoutChecks)).toEqual([{ from: 6, to: 2017 }]);
  });

  it('draws a timeline per timeout scenario, and no script or outside resource', () => {
    const html = toHtml(sample());
    expect(html.match(/<svg class="timeline"/g)).toHaveLength(2);
    expect(timelineSvg(sample().results[5]!)).toMatch(/class="deadline" x1="[\d.]+"/);
    expect(html).toContain('<table class="matrix">');
    expect(html).not.toMatch(/<script|<link |src=|url\(/);
    // it answers first: the verdict, the revision x filesystem counts and the matrix, then what changed
    expect(html.indexOf('class="verdict')).toBeLessThan(html.indexOf('Revisions × filesystems'));
    expect(html.indexOf('Revisions × filesystems')).toBeLessThan(html.indexOf('Matrix'));
    expect(html.indexOf('Matrix')).toBeLessThan(html.indexOf('What changed'));
  });

  it('builds chromium command lines as data, and reads console messages from its log', () => {
    expect(chromiumArgs('/r/report.html', { screenshot: '/r/shot.png' })).toEqual(expect.arrayContaining(['--headless', '--screenshot=/r/shot.png', 'file:///r/report.html']));
    expect(consoleMessages('[1:1:INFO:CONSOLE:1] "boom", source: file:///x (1)\nother')).toHaveLength(1);
  });
});

describe('the verdict first', () => {
  it('counts each revision by filesystem, a known issue apart from a failure, and says the verdict in a line', async () => {
    const { verdictMatrix, verdictText } = await import('../../src/report/verdict.ts');
    const r0 = sample();
    const m = verdictMatrix(r0);
    expect(m.map((row) => row.map((c) => `${c.revision}/${c.fs}: ${c.pass} ${c.known} ${c.fail} ${c.error} ${c.skip}`))).toEqual([
      ['baseline/ext3: 0 0 1 0 1', 'baseline/xfs: 1 0 0 0 1'],
      ['generic-v2/ext3: 2 0 0 0 0', 'generic-v2/xfs: 1 0 0 1 0'],
    ]);
    const text = verdictText(r0).split('\n');
    expect(text[0]).toMatch(/^FAIL: 1 scenario\(s\) did not meet their revision's expectations, 1 could not be judged/);
    expect(text[2]).toMatch(/^  baseline\s+1 FAIL, 1 skip\s+1 pass, 1 skip$/);
  });
});
