/**
 * run --per-patch: each patch prefix of a revision booted and judged
 * against the revision's manifest, as a patch x scenario matrix per
 * filesystem. Pure.
 */
import type { FsName } from '../guest/disk-images.ts';
import type { ScenarioResult, Status } from '../scenarios/judge.ts';

/** One prefix's guests, as the pipeline hands them over: after patch k of the revision. */
export interface PrefixRun {
  k: number;
  layer: string;
  name: string;
  /** where its guests are, under the run directory (prefixName) */
  dir: string;
  results: ScenarioResult[];
}

export interface MatrixCell {
  status: Status;
  /** a failure the manifest lists as a known issue */
  known?: true;
  /** the first line of what was observed, for a cell that is not a pass */
  observed?: string;
}

export interface MatrixRow {
  fs: FsName;
  scenario: string;
  /** cells[i]: after patch i+1; the last is the revision itself */
  cells: MatrixCell[];
  /** the patch (1-based) from which on every cell has the last cell's status; null if even the last is missing */
  reachesAt: number | null;
  /** patches (1-based) after which a scenario that met the manifest no longer does: a series that is not bisectable */
  breaksAt: number[];
}

export interface PatchMatrix {
  /** the revision's own patches, in order */
  patches: { layer: string; name: string; dir: string }[];
  rows: MatrixRow[];
}

const cellOf = (r: ScenarioResult): MatrixCell => ({
  status: r.status,
  ...(r.known && r.status === 'fail' ? { known: true as const } : {}),
  ...(r.status !== 'pass' ? { observed: (r.status === 'skip' ? r.expected : r.observed).split('\n')[0]!.slice(0, 200) } : {}),
});

const good = (c: MatrixCell | undefined) => c?.status === 'pass' || c?.status === 'skip' || (c?.status === 'fail' && c.known === true);

/**
 * The matrix from the prefixes' results and the revision's own (the last
 * column). A scenario the revision did not run is left out; a prefix that
 * did not run it (a build that failed there) has no cell for it. Pure.
 */
export function patchMatrix(prefixes: readonly PrefixRun[], final: { dir: string; layer: string; name: string; results: readonly ScenarioResult[] }): PatchMatrix {
  const columns = [...prefixes].sort((a, b) => a.k - b.k);
  const patches = [...columns.map((p) => ({ layer: p.layer, name: p.name, dir: p.dir })), { layer: final.layer, name: final.name, dir: final.dir }];
  const rows = final.results.map((last): MatrixRow => {
    const find = (rs: readonly ScenarioResult[]) => rs.find((r) => r.fs === last.fs && r.scenario === last.scenario);
    const cells = [...columns.map((p) => find(p.results)), last].map((r) => (r ? cellOf(r) : ({ status: 'error', observed: 'not run: this prefix did not build' } as MatrixCell)));
    const same = (c: MatrixCell) => c.status === last.status;
    const lastCell = cells[cells.length - 1]!;
    let from = cells.length;
    while (from > 0 && same(cells[from - 1]!)) from--;
    const breaksAt = cells.flatMap((c, i) => (i > 0 && good(cells[i - 1]) && !good(c) ? [i + 1] : []));
    return { fs: last.fs, scenario: last.scenario, cells, reachesAt: good(lastCell) ? from + 1 : null, breaksAt };
  });
  return { patches, rows };
}

/** A row worth showing: the scenario ran on some prefix (not skipped throughout, as one the revision does not claim). Pure. */
export const claimed = (row: MatrixRow) => row.cells.some((c) => c.status !== 'skip');

/** "fail fail pass pass pass" with where it settles: the line junit.xml and the terminal show. Pure. */
export function matrixLine(row: MatrixRow, n: number): string {
  const cells = row.cells.map((c) => (c.known ? 'known' : c.status)).join(' ');
  const at = row.reachesAt === null ? 'never meets the manifest' : `from ${row.reachesAt}/${n}`;
  return `${cells}: ${at}${row.breaksAt.length ? `; broken by ${row.breaksAt.map((k) => `${k}/${n}`).join(', ')}` : ''}`;
}
