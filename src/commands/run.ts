import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { cacheLayout } from '../paths.ts';
import { buildRevision } from '../pipeline/build-revision.ts';
import { bootSmoke } from '../pipeline/boot-smoke.ts';
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
      const results = [];
      for (const revision of opts.series) {
        const rec = await buildRevision({ layout, revision, fragments: opts.config, jobs: opts.jobs, sourceUrl: opts.sourceUrl });
        const bz = rec.artifacts.find((a) => a.name === 'bzImage')!;
        say(`${revision}: built in ${rec.durationSeconds.toFixed(1)} s; booting ${bz.path}`);
        const smoke = await bootSmoke(bz.path, join(runDir, revision), rec.kernel.version, 'smoke');
        say(`${revision}: booted Linux ${smoke.release} under ${smoke.accel} in ${smoke.seconds.toFixed(1)} s`);
        results.push({ revision, build: rec, boot: smoke });
        await writeJsonAtomic(join(runDir, revision, 'build.json'), rec);
      }
      await writeJsonAtomic(join(runDir, 'run.json'), { complete: true, results });
      console.log(`run directory: ${runDir}`);
    });
}
