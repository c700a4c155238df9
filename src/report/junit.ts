/**
 * junit.xml in the Apache Ant format every CI reads: one testsuite per
 * revision and filesystem, one testcase per scenario, the console excerpt of
 * a failure in the failure's body. Pure.
 */
import type { Report, ReportResult } from './report-model.ts';

const xml = (s: string) =>
  s
    // characters XML 1.0 cannot carry at all (a console can hold them)
    .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD]/gu, '?')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

/** Ant's timestamp: ISO 8601 without a zone. */
const antTime = (iso: string) => iso.replace(/\.\d+/, '').replace(/(Z|[+-]\d\d:\d\d)$/, '');

function body(r: ReportResult): string {
  return [`expected: ${r.expected}`, `observed: ${r.observed}`, ...(r.reproducer ? [`reproduce: ${r.reproducer}`] : []), ...(r.console?.length ? ['console:', ...r.console] : [])].join('\n');
}

function testcase(r: ReportResult, seconds: number): string {
  const head = `    <testcase name="${xml(r.scenario)}" classname="${xml(`freeze-rig.${r.revision}.${r.fs}`)}" time="${seconds.toFixed(3)}"`;
  if (r.status === 'pass') return `${head}/>`;
  if (r.status === 'skip') return `${head}>\n      <skipped message="${xml(r.expected)}"/>\n    </testcase>`;
  const tag = r.status === 'fail' ? 'failure' : 'error';
  const type = r.status === 'fail' ? 'expectation' : 'infrastructure';
  return `${head}>\n      <${tag} message="${xml(r.observed.split('\n')[0]!.slice(0, 500))}" type="${type}">${xml(body(r))}</${tag}>\n    </testcase>`;
}

export function toJunit(report: Report): string {
  const suites = report.revisions.flatMap((rev) => rev.boots.map((b) => ({ rev, boot: b, results: report.results.filter((r) => r.revision === rev.revision && r.fs === b.fs) })));
  // results without a boot (a guest that never started) still get a suite
  for (const r of report.results)
    if (!suites.some((s) => s.rev.revision === r.revision && s.results.includes(r))) {
      const rev = report.revisions.find((x) => x.revision === r.revision)!;
      let s = suites.find((x) => x.rev === rev && x.boot.fs === r.fs);
      if (!s) suites.push((s = { rev, boot: { fs: r.fs, seconds: 0 } as never, results: [] }));
      s.results.push(r);
    }
  const n = (rs: ReportResult[], st: string) => rs.filter((r) => r.status === st).length;
  const all = report.results;
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="freeze-rig" tests="${all.length}" failures="${n(all, 'fail')}" errors="${n(all, 'error')}" skipped="${n(all, 'skip')}">`,
  ];
  suites.forEach((s, id) => {
    const rs = s.results;
    out.push(
      `  <testsuite name="${xml(`${s.rev.revision}.${s.boot.fs}`)}" package="freeze-rig" id="${id}" timestamp="${antTime(report.createdAt)}" hostname="${xml(report.host.hostname || 'localhost')}" tests="${rs.length}" failures="${n(rs, 'fail')}" errors="${n(rs, 'error')}" skipped="${n(rs, 'skip')}" time="${(s.boot.seconds ?? 0).toFixed(3)}">`,
      '    <properties>',
      `      <property name="kernel" value="${xml(`${report.kernel.version} ${report.kernel.treeId}`)}"/>`,
      `      <property name="accelerator" value="${xml(s.boot.accel ?? 'none')}"/>`,
      `      <property name="reproducer" value="${xml(s.boot.reproducer ?? '')}"/>`,
      '    </properties>',
      ...rs.map((r) => testcase(r, (s.boot.scenarioMs?.[r.scenario] ?? 0) / 1000)),
      `    <system-out>${xml(s.boot.console ? `console log: ${s.boot.console}` : '')}</system-out>`,
      '    <system-err></system-err>',
      '  </testsuite>',
    );
  });
  out.push('</testsuites>', '');
  return out.join('\n');
}
