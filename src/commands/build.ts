import type { Command } from 'commander';
import { cacheLayout } from '../paths.ts';
import { buildRevision } from '../pipeline/build-revision.ts';
import { expectationError, usageError } from '../errors.ts';
import { buildPerPatch } from '../pipeline/per-patch.ts';

export const parseJobs = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw usageError(`--jobs wants a positive integer, not ${v}`);
  return n;
};

export function registerBuild(program: Command): void {
  program
    .command('build')
    .description('apply compat + a patch revision and build bzImage out of tree')
    .option('--series <rev>', 'patch revision (patches/series/<rev>) or a series directory', 'baseline')
    .option('--config <fragment...>', 'config fragments (kernel-config/<name>.config or paths)')
    .option('-j, --jobs <n>', 'make -j', parseJobs, 2)
    .option('--source-url <url>', 'where to download the kernel if it is not cached')
    .option('--json', 'print the build record')
    .option('--per-patch', "build after each of the revision's patches (bisectability), incrementally")
    .action(async (opts: { series: string; config?: string[]; jobs: number; sourceUrl?: string; json?: boolean; perPatch?: boolean }) => {
      if (opts.perPatch) {
        const steps = await buildPerPatch({ layout: cacheLayout(), revision: opts.series, fragments: opts.config, jobs: opts.jobs, sourceUrl: opts.sourceUrl });
        for (const s of steps) console.log(`${s.build!.ok ? 'builds' : 'BREAKS'}  ${s.layer}/${s.name}  (${s.build!.seconds.toFixed(1)} s)${s.build!.error ? `: ${s.build!.error}` : ''}`);
        if (opts.json) console.log(JSON.stringify(steps, null, 2));
        const broken = steps.find((s) => !s.build!.ok);
        if (broken) throw expectationError(`${opts.series} does not build after ${broken.layer}/${broken.name}`, { hint: 'every patch of a series must build on its own (git bisect)' });
      }
      const rec = await buildRevision({ layout: cacheLayout(), revision: opts.series, fragments: opts.config, jobs: opts.jobs, sourceUrl: opts.sourceUrl });
      if (opts.json) console.log(JSON.stringify(rec, null, 2));
      const bz = rec.artifacts.find((a) => a.name === 'bzImage');
      console.log(`${rec.upToDate ? `${rec.revision} is up to date (make not run)` : `built ${rec.revision} in ${rec.durationSeconds.toFixed(1)} s`} (${rec.warningCount} warnings): ${bz?.path}`);
      console.log(`record: ${rec.outDir}/build.json   log: ${rec.log}`);
    });
}
