/**
 * KTAP version 1 (Documentation/dev-tools/ktap.rst), the kernel's own test
 * output: revision -> filesystem -> scenario as nested tests, each level
 * with its version and plan lines, indented four spaces per level. A
 * scenario's expected and observed lines are diagnostics before its result;
 * a skip says why after "# SKIP"; a known issue that failed as its manifest
 * says is "not ok ... # TODO", which TAP readers do not count as a failure.
 * Pure.
 */
import { FILESYSTEMS } from '../guest/disk-images.ts';
import { standingOf } from '../scenarios/judge.ts';
import type { Report, ReportResult } from './report-types.ts';

// a description or directive cannot hold '#' or a line break
const clean = (s: string) => s.replace(/#/g, 'no.').replace(/\s+/g, ' ').trim().slice(0, 300);

interface Node {
  name: string;
  ok: boolean;
  directive?: string;
  diagnostics: string[];
  children?: Node[];
}

function scenarioNode(r: ReportResult): Node {
  const diagnostics = r.status === 'pass' ? [] : [`expected: ${r.expected}`, `observed: ${r.observed}`, ...(r.reproducer ? [`reproduce: ${r.reproducer}`] : []), ...(r.console ?? []).map((c) => `console: ${c}`)];
  if (r.status === 'skip') return { name: r.scenario, ok: true, directive: `SKIP ${clean(r.expected)}`, diagnostics: [] };
  if (standingOf(r) === 'known-failed') return { name: r.scenario, ok: false, directive: `TODO known issue: ${clean(r.known ?? '')}`, diagnostics };
  return { name: r.scenario, ok: r.status === 'pass', diagnostics: r.status === 'error' ? ['error of the rig, not of the kernel', ...diagnostics] : diagnostics };
}

// a parent passes when nothing under it failed (a TODO or a SKIP is not a failure)
const parent = (name: string, children: Node[]): Node => ({ name, ok: children.every((c) => c.ok || c.directive?.startsWith('TODO')), diagnostics: [], children });

function lines(nodes: Node[], depth: number, subtest?: string): string[] {
  const pad = ' '.repeat(4 * depth);
  const out = [`${pad}KTAP version 1`, ...(subtest ? [`${pad}# Subtest: ${clean(subtest)}`] : []), `${pad}1..${nodes.length}`];
  nodes.forEach((n, i) => {
    if (n.children) out.push(...lines(n.children, depth + 1, n.name));
    for (const d of n.diagnostics) for (const l of d.split('\n')) out.push(`${pad}# ${l}`);
    out.push(`${pad}${n.ok ? 'ok' : 'not ok'} ${i + 1} ${clean(n.name)}${n.directive ? ` # ${n.directive}` : ''}`);
  });
  return out;
}

export function toKtap(report: Report): string {
  const revisions = report.revisions.map((rev) =>
    parent(
      rev.revision,
      FILESYSTEMS.filter((fs) => report.results.some((r) => r.revision === rev.revision && r.fs === fs)).map((fs) => parent(fs, report.results.filter((r) => r.revision === rev.revision && r.fs === fs).map(scenarioNode))),
    ),
  );
  return [...lines(revisions, 0), ''].join('\n');
}
