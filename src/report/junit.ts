/**
 * junit.xml in the Apache Ant format every CI reads: one testsuite per
 * revision and filesystem, one testcase per scenario, the console excerpt of
 * a failure in the failure's body. Pure.
 */
import { FILESYSTEMS } from '../guest/disk-images.ts';
import { escapeMarkup } from './escape.ts';
import { standingOf } from '../scenarios/judge.ts';
import type { Report, ReportResult } from './report-types.ts';
import { matrixLine } from './patch-matrix.ts';

// characters XML 1.0 cannot carry at all (a console can hold them) become '?'
const xml = (s: string) => escapeMarkup(s.replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD]/gu, '?'));

/** Ant's timestamp: ISO 8601 without a zone. */
const antTime = (iso: string) => iso.replace(/\.\d+/, '').replace(/(Z|[+-]\d\d:\d\d)$/, '');

function body(r: ReportResult): string {
  return [`expected: ${r.expected}`, `observed: ${r.observed}`, ...(r.reproducer ? [`reproduce: ${r.reproducer}`] : []), ...(r.console?.length ? ['console:', ...r.console] : [])].join('\n');
}

function testcase(r: ReportResult, seconds: number): string {
  const head = `    <testcase name="${xml(r.scenario)}" classname="${xml(`freeze-rig.${r.revision}.${r.fs}`)}" time="${seconds.toFixed(3)}"`;
  if (r.status === 'pass') return `${head}/>`;
  if (r.status === 'skip') return `${head}>\n      <skipped message="${xml(r.expected)}"/>\n    </testcase>`;
  // a known issue that failed as its manifest says: not a regression, but its evidence stays readable
  if (standingOf(r) === 'known-failed') return `${head}>\n      <skipped message="${xml(`known issue (manifest), failed as expected: ${r.observed.split('\n')[0]!.slice(0, 300)}`)}"/>\n      <system-out>${xml([`known issue: ${r.known}`, body(r)].join('\n'))}</system-out>\n    </testcase>`;
  const tag = r.status === 'fail' ? 'failure' : 'error';
  const type = r.status === 'fail' ? 'expectation' : 'infrastructure';
  return `${head}>\n      <${tag} message="${xml(r.observed.split('\n')[0]!.slice(0, 500))}" type="${type}">${xml(body(r))}</${tag}>\n    </testcase>`;
}

export function toJunit(report: Report): string {
  // one suite per revision x filesystem, whatever number of guests ran it
  const suites = report.revisions.flatMap((rev) =>
    FILESYSTEMS.filter((fs) => report.results.some((r) => r.revision === rev.revision && r.fs === fs)).map((fs) => ({
      name: `${rev.revision}.${fs}`,
      boots: rev.boots.filter((b) => b.fs === fs),
      // run --per-patch: each scenario's result after each patch, and from which patch it is final
      perPatch: (rev.perPatch?.rows ?? []).filter((x) => x.fs === fs && x.cells.some((c) => c.status !== 'skip')).map((x) => [x.scenario, matrixLine(x, rev.perPatch!.patches.length)] as const),
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
      ...rs.map((r) => testcase(r, ms(r.scenario) / 1000)),
      `    <system-out>${xml(s.boots.map((b) => `${b.name}: ${b.scenarios.join(' ') || 'no scenarios'}; console log ${b.console}`).join('\n'))}</system-out>`,
      '    <system-err></system-err>',
      '  </testsuite>',
    );
  });
  out.push('</testsuites>', '');
  return out.join('\n');
}
