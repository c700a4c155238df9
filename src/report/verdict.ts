/**
 * What a reader wants first: the verdict in a line, and each revision by
 * filesystem as counts, for the terminal and report.html alike. Pure.
 */
import { standingOf, verdictOf } from '../scenarios/judge.ts';
import { FILESYSTEMS } from '../guest/disk-images.ts';
import type { Report, ReportResult } from './report-types.ts';

export interface Cell {
  revision: string;
  fs: string;
  pass: number;
  known: number;
  /** failures the manifest does not expect, and known issues that passed */
  fail: number;
  error: number;
  skip: number;
  /** the first result a reader should open: a failure, else an error, else a known issue */
  first?: ReportResult;
}

/** The revision x filesystem matrix of counts. */
export function verdictMatrix(r: Pick<Report, 'revisions' | 'results'>): Cell[][] {
  return r.revisions.map((v) =>
    FILESYSTEMS.map((fs) => {
      const xs = r.results.filter((x) => x.revision === v.revision && x.fs === fs);
      const failing = xs.filter((x) => (x.status === 'fail' && standingOf(x) !== 'known-failed') || standingOf(x) === 'known-passed');
      const known = xs.filter((x) => standingOf(x) === 'known-failed');
      const errors = xs.filter((x) => x.status === 'error');
      const first = failing[0] ?? errors[0] ?? known[0];
      return {
        revision: v.revision,
        fs,
        pass: xs.filter((x) => x.status === 'pass' && standingOf(x) !== 'known-passed').length,
        known: known.length,
        fail: failing.length,
        error: errors.length,
        skip: xs.filter((x) => x.status === 'skip').length,
        ...(first ? { first } : {}),
      };
    }),
  );
}

/** The verdict as a word and a sentence. */
export function verdictLine(r: Pick<Report, 'results' | 'complete'>): { verdict: 'PASS' | 'FAIL' | 'ERROR'; text: string } {
  const v = verdictOf(r.results);
  const known = v.knownFailed.length ? `; ${v.knownFailed.length} known issue(s) failed as their manifests say` : '';
  const partial = r.complete ? '' : ' (incomplete run: only what finished)';
  if (v.verdict === 'fail') return { verdict: 'FAIL', text: `${v.failed.length} scenario(s) did not meet their revision's expectations${v.errored.length ? `, ${v.errored.length} could not be judged (errors of the rig)` : ''}${known}${partial}` };
  if (v.verdict === 'error') return { verdict: 'ERROR', text: `every scenario judged met its revision's expectations, but ${v.errored.length} could not be judged: errors of the rig, not the kernel${known}${partial}` };
  return { verdict: 'PASS', text: `every scenario met its revision's expectations${known}${partial}` };
}

const cellText = (c: Cell) => [c.pass && `${c.pass} pass`, c.known && `${c.known} known`, c.fail && `${c.fail} FAIL`, c.error && `${c.error} ERROR`, c.skip && `${c.skip} skip`].filter(Boolean).join(', ') || '-';

/** The terminal's version: the verdict, then one line per revision with a column per filesystem. */
export function verdictText(r: Pick<Report, 'revisions' | 'results' | 'complete'>): string {
  const m = verdictMatrix(r);
  const v = verdictLine(r);
  const w = Math.max(8, ...r.revisions.map((x) => x.revision.length));
  const cols = m.map((row) => row.map(cellText));
  const cw = FILESYSTEMS.map((_, i) => Math.max(FILESYSTEMS[i]!.length, ...cols.map((c) => c[i]!.length)));
  const line = (first: string, cells: string[]) => `  ${first.padEnd(w)}  ${cells.map((c, i) => c.padEnd(cw[i]!)).join('  ')}`.trimEnd();
  return [`${v.verdict}: ${v.text}`, line('', [...FILESYSTEMS]), ...m.map((row, i) => line(row[0]!.revision, cols[i]!))].join('\n');
}
