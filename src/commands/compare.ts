import type { Command } from 'commander';
import { comparisonText, compareReports, regressions } from '../report/compare.ts';
import { readReport } from '../report/read-report.ts';
import { expectationError, usageError } from '../errors.ts';
import { writeJsonAtomic } from '../util/atomic.ts';

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('compare two stored runs: what got worse and better, per revision both ran (exit 1 on anything worse)')
    .argument('<old>', 'report.json (or its run directory) of the old run, e.g. main')
    .argument('<new>', 'report.json (or its run directory) of the new run')
    .option('--json <file>', 'also write the comparison as JSON')
    .action(async (oldPath: string, newPath: string, opts: { json?: string }) => {
      const [a, b] = [await readReport(oldPath), await readReport(newPath)];
      const c = compareReports(a, b);
      if (!c.steps.length) throw usageError('the two runs have no revision in common', `old: ${a.revisions.map((r) => r.revision).join(', ')}; new: ${b.revisions.map((r) => r.revision).join(', ')}`);
      console.log(comparisonText(c));
      if (opts.json) await writeJsonAtomic(opts.json, c);
      const n = regressions(c);
      if (n) throw expectationError(`${n} result(s) got worse`);
    });
}
