/**
 * What got worse and what got better: between consecutive revisions of one
 * run, or between the same revisions of two stored runs. Pure.
 */
import type { Status } from '../scenarios/judge.ts';
import type { Comparison, Report, ReportResult, ReportRevision, Step, Transition } from './report-types.ts';

const bad = (s: Status) => s === 'fail' || s === 'error';

/**
 * A scenario's figures beside its change of status: each metric either side
 * measured, "name a -> b unit" ("-" where a side has none), the ones that
 * changed most first (relative change; one side missing counts as all), so
 * that a short list shows what moved. Pure.
 */
export function figuresOf(a: Pick<ReportResult, 'metrics'>, b: Pick<ReportResult, 'metrics'>): string[] {
  const names = [...new Set([...Object.keys(b.metrics ?? {}), ...Object.keys(a.metrics ?? {})])];
  const show = (m: ReportResult['metrics'][string] | undefined) => (m ? String(m.value) : '-');
  const change = (n: string) => {
    const x = a.metrics?.[n]?.value;
    const y = b.metrics?.[n]?.value;
    if (x === undefined || y === undefined) return 1;
    return x === y ? 0 : Math.abs(y - x) / Math.max(Math.abs(x), Math.abs(y));
  };
  return names
    .map((n, i) => ({ n, i, c: change(n) }))
    .sort((p, q) => q.c - p.c || p.i - q.i)
    .map(({ n }) => `${n} ${show(a.metrics?.[n])} -> ${show(b.metrics?.[n])} ${(b.metrics?.[n] ?? a.metrics?.[n])!.unit}`);
}

/** How one side's results turned into the other's, per filesystem and scenario. */
export function compareResults(from: readonly ReportResult[], to: readonly ReportResult[]): Pick<Step, 'worse' | 'better' | 'gained' | 'lost'> {
  const out: Pick<Step, 'worse' | 'better' | 'gained' | 'lost'> = { worse: [], better: [], gained: [], lost: [] };
  for (const b of to) {
    const a = from.find((x) => x.fs === b.fs && x.scenario === b.scenario);
    if (!a || a.status === b.status) continue;
    const figures = figuresOf(a, b);
    const t: Transition = { fs: b.fs, scenario: b.scenario, from: a.status, to: b.status, observed: b.status === 'skip' ? b.expected : b.observed, ...(figures.length ? { figures } : {}) };
    if (bad(b.status) && !bad(a.status)) out.worse.push(t);
    else if (b.status === 'pass' && bad(a.status)) out.better.push(t);
    else if (b.status === 'pass' && a.status === 'skip') out.gained.push(t);
    else if (b.status === 'skip' && a.status === 'pass') out.lost.push(t);
  }
  return out;
}

function step(fromLabel: string, a: ReportRevision, aResults: ReportResult[], toLabel: string, b: ReportRevision, bResults: ReportResult[]): Step {
  const text = a.build.sizes && b.build.sizes ? b.build.sizes.text - a.build.sizes.text : undefined;
  const data = a.build.sizes && b.build.sizes ? b.build.sizes.data - a.build.sizes.data : undefined;
  return {
    from: fromLabel,
    to: toLabel,
    ...compareResults(aResults, bResults),
    build: {
      warningsFrom: a.build.warnings,
      warningsTo: b.build.warnings,
      ...(text !== undefined ? { textDelta: text } : {}),
      ...(data !== undefined ? { dataDelta: data } : {}),
      newWarnings: b.build.newWarnings?.length ?? null,
    },
  };
}

const resultsOf = (r: Pick<Report, 'results'>, revision: string) => r.results.filter((x) => x.revision === revision);

/** Each revision against the one before it, in the run's order. */
export function compareRevisions(r: Pick<Report, 'revisions' | 'results'>): Comparison {
  const steps: Step[] = [];
  for (let i = 1; i < r.revisions.length; i++) {
    const a = r.revisions[i - 1]!;
    const b = r.revisions[i]!;
    steps.push(step(a.revision, a, resultsOf(r, a.revision), b.revision, b, resultsOf(r, b.revision)));
  }
  return { steps };
}

/**
 * Two stored runs: each revision that both ran, old against new. Runs of one
 * revision each with different names (a series renamed) are paired as well.
 */
export function compareReports(a: Pick<Report, 'revisions' | 'results'>, b: Pick<Report, 'revisions' | 'results'>): Comparison {
  let pairs = a.revisions.flatMap((x) => b.revisions.filter((y) => y.revision === x.revision).map((y) => [x, y] as const));
  if (!pairs.length && a.revisions.length === 1 && b.revisions.length === 1) pairs = [[a.revisions[0]!, b.revisions[0]!]];
  return { steps: pairs.map(([x, y]) => step(`a:${x.revision}`, x, resultsOf(a, x.revision), `b:${y.revision}`, y, resultsOf(b, y.revision))) };
}

/** The comparison as a terminal shows it. Pure. */
export function comparisonText(c: Comparison): string {
  const lines: string[] = [];
  for (const s of c.steps) {
    const b = s.build;
    const size = b.textDelta !== undefined ? `, vmlinux text ${b.textDelta >= 0 ? '+' : ''}${b.textDelta} B` : '';
    lines.push(`${s.from} -> ${s.to}: ${s.worse.length} worse, ${s.better.length} better, ${s.gained.length} gained, ${s.lost.length} lost; warnings ${b.warningsFrom} -> ${b.warningsTo}${size}`);
    for (const [label, list] of [['WORSE ', s.worse], ['BETTER', s.better], ['GAINED', s.gained], ['LOST  ', s.lost]] as const)
      for (const t of list) {
        lines.push(`  ${label} ${t.fs.padEnd(5)} ${t.scenario.padEnd(21)} ${t.from} -> ${t.to}: ${t.observed.split('\n')[0]!.slice(0, 140)}`);
        if (t.figures?.length) lines.push(`         ${' '.repeat(5 + 1 + 21)} ${t.figures.slice(0, 4).join('; ')}`);
      }
  }
  return lines.join('\n');
}

export const regressions = (c: Comparison) => c.steps.reduce((n, s) => n + s.worse.length, 0);
