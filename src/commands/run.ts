import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { cacheLayout } from '../paths.ts';
import { buildRevision } from '../pipeline/build-revision.ts';
import { runScenarios } from '../pipeline/run-scenarios.ts';
import { loadManifest } from '../scenarios/manifest.ts';
import { revisionDir } from '../pipeline/revisions.ts';
import { expectationError } from '../errors.ts';
import { writeJsonAtomic } from '../util/atomic.ts';
import { say } from '../util/progress.ts';
import { parseJobs } from './build.ts';

export function runDirName(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('the full pipeline: source, tree, config, build, boot, for each revision')
    .option('--series <rev...>', 'patch revisions to run', ['baseline'])
    .option('--config <fragment...>', 'config fragments')
    .option('-j, --jobs <n>', 'make -j', parseJobs, 2)
    .option('--out <dir>', 'run directory (default runs/<timestamp>)')
    .option('--source-url <url>', 'where to download the kernel if it is not cached')
    .action(async (opts: { series: string[]; config?: string[]; jobs: number; out?: string; sourceUrl?: string }) => {
      const layout = cacheLayout();
      const runDir = resolve(opts.out ?? join('runs', runDirName()));
      const revisions = [];
      for (const revision of opts.series) {
        const manifest = await loadManifest(revisionDir(revision).dir);
        const rec = await buildRevision({ layout, revision, fragments: opts.config, jobs: opts.jobs, sourceUrl: opts.sourceUrl });
        say(`${revision}: built in ${rec.durationSeconds.toFixed(1)} s; booting ext3 and XFS guests`);
        const { results, boots } = await runScenarios(rec, manifest, runDir);
        for (const b of boots) say(`${revision}/${b.fs}: guest ${b.end} after ${b.seconds.toFixed(1)} s (${b.accel})`);
        for (const r of results) console.log(`${r.status.toUpperCase().padEnd(5)} ${rec.revision.padEnd(12)} ${r.fs.padEnd(5)} ${r.scenario.padEnd(14)} ${r.observed.split('\n')[0]}`);
        revisions.push({ revision, manifest, build: rec, boots, results });
        await writeJsonAtomic(join(runDir, revision, 'build.json'), rec);
      }
      const all = revisions.flatMap((r) => r.results);
      await writeJsonAtomic(join(runDir, 'run.json'), { complete: true, revisions });
      const counts = ['pass', 'fail', 'skip', 'error'].map((s) => `${all.filter((r) => r.status === s).length} ${s}`).join(', ');
      console.log(`${counts}  (run directory: ${runDir})`);
      const bad = all.filter((r) => r.status === 'fail' || r.status === 'error');
      if (bad.length) throw expectationError(`${bad.length} scenario(s) did not meet their revision's manifest`, { hint: `console logs and run.json in ${runDir}` });
    });
}
