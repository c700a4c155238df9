/**
 * junit.xml in the Apache Ant format every CI reads: one testsuite per
 * revision and filesystem, one testcase per scenario, the console excerpt of
 * a failure in the failure's body. Pure.
 */
import { FILESYSTEMS } from '../guest/disk-images.ts';
import { escapeMarkup } from './escape.ts';
import { standingOf } from '../scenarios/judge.ts';
import type { Report, ReportResult } from './report-types.ts';
import { claimed, matrixLine } from './patch-matrix.ts';

// characters XML 1.0 cannot carry at all (a console can hold them) become '?'
const xml = (s: string) => escapeMarkup(s.replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD]/gu, '?'));

/** Ant's timestamp: ISO 8601 without a zone. */
const antTime = (iso: string) => iso.replace(/\.\d+/, '').replace(/(Z|[+-]\d\d:\d\d)$/, '');

function body(r: ReportResult): string {
  return [`expected: ${r.expected}`, `observed: ${r.observed}`, ...(r.reproducer ? [`reproduce: ${r.reproducer}`] : []), ...(r.replay ? [`replay: ${r.replay}`] : []), ...(r.console?.length ? ['console:', ...r.console] : [])].join('\n');
}

/**
 * One scenario on one filesystem, shaped for the usual readers (GitLab,
 * dorny/test-reporter, mikepenz/action-junit-report): classname is the
 * suite, so no reader takes "ext3" for a source file; file is the manifest
 * that states the promise; a skip's reason is the element's text (GitLab
 * reads no attribute); the guest's console log is named in every testcase.
 * <error> is the rig's alone (a guest that hung, a handshake that timed
 * out), <failure> the kernel's.
 */
function testcase(r: ReportResult, seconds: number, suite: string, consoles: string[], manifest: string | undefined): string {
  const head = `    <testcase name="${xml(r.scenario)}" classname="${xml(suite)}" time="${seconds.toFixed(3)}"${manifest ? ` file="${xml(manifest)}"` : ''}>`;
  const out = (extra: string[] = []) => `      <system-out>${xml([...extra, ...consoles.map((c) => `console log: ${c}`)].join('\n'))}</system-out>`;
  const skipped = (why: string) => `      <skipped message="${xml(why.split('\n')[0]!.slice(0, 300))}">${xml(why)}</skipped>`;
  const lines = [head];
  if (r.status === 'skip') lines.push(skipped(r.expected), out());
  // a known issue that failed as its manifest says: not a regression, but its evidence stays readable
  else if (standingOf(r) === 'known-failed') lines.push(skipped(`known issue (manifest), failed as expected: ${r.observed}`), out([`known issue: ${r.known}`, body(r)]));
  else if (r.status === 'pass') lines.push(out());
  else {
    const tag = r.status === 'fail' ? 'failure' : 'error';
    const type = r.status === 'fail' ? 'expectation' : 'infrastructure';
    lines.push(`      <${tag} message="${xml(r.observed.split('\n')[0]!.slice(0, 500))}" type="${type}">${xml(body(r))}</${tag}>`, out());
  }
  lines.push('    </testcase>');
  return lines.join('\n');
}

export function toJunit(report: Report): string {
  // one suite per revision x filesystem, whatever number of guests ran it
  const suites = report.revisions.flatMap((rev) =>
    FILESYSTEMS.filter((fs) => report.results.some((r) => r.revision === rev.revision && r.fs === fs)).map((fs) => ({
      name: `${rev.revision}.${fs}`,
      manifest: rev.manifest,
      boots: rev.boots.filter((b) => b.fs === fs),
      // run --per-patch: each scenario's result after each patch, and from which patch it is final
      perPatch: (rev.perPatch?.rows ?? []).filter((x) => x.fs === fs && claimed(x)).map((x) => [x.scenario, matrixLine(x, rev.perPatch!.patches.length)] as const),
      results: report.results.filter((r) => r.revision === rev.revision && r.fs === fs),
    })),
  );
  // counted as JUnit shows them: a known issue's failure is among the skipped
  const shown = (r: ReportResult) => (standingOf(r) === 'known-failed' ? 'skip' : r.status);
  const n = (rs: ReportResult[], st: string) => rs.filter((r) => shown(r) === st).length;
  const all = report.results;
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="freeze-rig" tests="${all.length}" failures="${n(all, 'fail')}" errors="${n(all, 'error')}" skipped="${n(all, 'skip')}">`,
  ];
  suites.forEach((s, id) => {
    const rs = s.results;
    const ms = (scenario: string) => s.boots.find((b) => scenario in b.scenarioMs)?.scenarioMs[scenario] ?? 0;
    out.push(
      `  <testsuite name="${xml(s.name)}" package="freeze-rig" id="${id}" timestamp="${antTime(report.createdAt)}" hostname="${xml(report.host.hostname || 'localhost')}" tests="${rs.length}" failures="${n(rs, 'fail')}" errors="${n(rs, 'error')}" skipped="${n(rs, 'skip')}" time="${Math.max(0, ...s.boots.map((b) => b.seconds)).toFixed(3)}">`,
      '    <properties>',
      `      <property name="kernel" value="${xml(`${report.kernel.version} ${report.kernel.treeId}`)}"/>`,
      ...s.boots.flatMap((b) => [
        `      <property name="${xml(`${b.name}.accelerator`)}" value="${xml(b.accel)}"/>`,
        `      <property name="${xml(`${b.name}.reproducer`)}" value="${xml(b.reproducer)}"/>`,
      ]),
      ...s.perPatch.map(([scenario, line]) => `      <property name="${xml(`per-patch.${scenario}`)}" value="${xml(line)}"/>`),
      '    </properties>',
      ...rs.map((r) => testcase(r, ms(r.scenario) / 1000, s.name, s.boots.filter((b) => b.scenarios.includes(r.scenario)).map((b) => b.console), s.manifest)),
      `    <system-out>${xml(s.boots.map((b) => `${b.name}: ${b.scenarios.join(' ') || 'no scenarios'}; console log ${b.console}`).join('\n'))}</system-out>`,
      '    <system-err></system-err>',
      '  </testsuite>',
    );
  });
  out.push('</testsuites>', '');
  return out.join('\n');
}
