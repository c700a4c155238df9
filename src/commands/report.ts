import type { Command } from 'commander';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { mergeReports } from '../report/merge.ts';
import { readReport, unfinishedRun } from '../report/read-report.ts';
import { countsLine, finishReport } from '../report/report-model.ts';
import { verdictOf } from '../scenarios/judge.ts';
import { writeReport } from '../report/write-report.ts';
import { comparisonText } from '../report/compare.ts';
import { verdictText } from '../report/verdict.ts';
import { EXIT, expectationError, infraError } from '../errors.ts';
import { toKtap } from '../report/ktap.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { say } from '../util/progress.ts';

const runDirOf = (p: string) => (p.endsWith('.json') ? dirname(resolve(p)) : resolve(p));

export function registerReport(program: Command): void {
  const report = program.command('report').description('work with stored reports');
  report
    .command('merge')
    .description('merge the shards of one run (each a revision x filesystem, e.g. CI matrix jobs) into one run directory')
    .argument('<shards...>', 'report.json files or run directories, in the order the revisions should appear')
    .requiredOption('--out <dir>', 'the merged run directory')
    .action(async (shards: string[], opts: { out: string }) => {
      const reports = await Promise.all(shards.map(readReport));
      const merged = mergeReports(reports, `freeze-rig report merge ${shards.join(' ')} --out ${opts.out}`);
      const out = resolve(opts.out);
      await mkdir(out, { recursive: true });
      // the console logs travel with the report that names them
      for (const [i, r] of reports.entries())
        for (const rev of r.revisions)
          for (const b of rev.boots) {
            await mkdir(dirname(join(out, b.console)), { recursive: true });
            await copyFile(join(runDirOf(shards[i]!), b.console), join(out, b.console)).catch(() => say(`no console log ${b.console} beside shard ${shards[i]}`));
          }
      await writeReport(out, merged);
      console.log(verdictText(merged));
      if (merged.comparison.steps.length) console.log(comparisonText(merged.comparison));
      console.log(`${countsLine(merged.results)}  (report: ${join(out, 'report.html')})`);
      // as the run decides it: a known issue's failure is expected, its pass is not
      const v = verdictOf(merged.results);
      if (v.verdict === 'fail') throw expectationError(`${v.failed.length} scenario(s) did not meet their revision's expectations${v.errored.length ? `; ${v.errored.length} could not be judged (errors of the rig)` : ''}`);
      if (v.verdict === 'error') throw infraError(`every scenario judged met its revision's expectations, but ${v.errored.length} could not be judged: errors of the rig, not the kernel`, { exit: EXIT.unjudged });
    });
  report
    .command('export')
    .description('write a stored run in another format: --ktap, the kernel\'s KTAP version 1 (revision > filesystem > scenario)')
    .argument('<run>', 'report.json or its run directory')
    .requiredOption('--ktap', 'KTAP version 1')
    .option('--out <file>', 'where to write it (default: results.ktap in the run directory; - for stdout)')
    .action(async (path: string, opts: { out?: string }) => {
      const text = toKtap(await readReport(path));
      if (opts.out === '-') process.stdout.write(text);
      else {
        const out = resolve(opts.out ?? join(runDirOf(path), 'results.ktap'));
        await writeFileAtomic(out, text);
        say(`wrote ${out}`);
      }
    });
  report
    .command('render')
    .description('write report.html and junit.xml again from a stored report.json')
    .argument('<run>', 'report.json or its run directory')
    .action(async (path: string) => {
      const { figures: _f, comparison: _c, ...rest } = await readReport(path);
      // a run killed without a word left what it wrote after its last finished revision: said, and kept in the report
      const left = await unfinishedRun(runDirOf(path));
      if (left) say(`rendering the ${rest.revisions.length} revision(s) it finished`);
      const killed = left && !left.alive && !rest.interrupted ? { complete: false, interrupted: { signal: 'SIGKILL (the process died without a word)', during: left.during } } : {};
      await writeReport(runDirOf(path), finishReport({ ...rest, ...killed }));
      say(`rendered ${join(runDirOf(path), 'report.html')}`);
    });
}
