import type { Command } from 'commander';
import { cacheLayout } from '../paths.ts';
import { buildRevision } from '../pipeline/build-revision.ts';
import { expectationError, usageError } from '../errors.ts';
import { buildPerPatch } from '../pipeline/per-patch.ts';
import { withBoard } from './board.ts';

export const parseJobs = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw usageError(`--jobs wants a positive integer, not ${v}`);
  return n;
};

interface BuildOpts {
  series: string;
  config?: string[];
  jobs: number;
  sourceUrl?: string;
  json?: boolean;
  perPatch?: boolean;
  plain?: boolean;
}

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
    .option('--plain', 'plain lines with timestamps, also on a terminal')
    .action(async (opts: BuildOpts) => {
      // the lines a user keeps are printed once a live board is gone
      const { lines, broken } = await withBoard(`freeze-rig build: ${opts.series}`, opts.plain, () => build(opts));
      for (const l of lines) console.log(l);
      if (broken) throw expectationError(`${opts.series} does not build after ${broken}`, { hint: 'every patch of a series must build on its own (git bisect)' });
    });
}

/** The lines a user keeps, and the patch after which the revision stopped building (--per-patch). */
async function build(opts: BuildOpts): Promise<{ lines: string[]; broken?: string }> {
  const out: string[] = [];
  if (opts.perPatch) {
    const steps = await buildPerPatch({ layout: cacheLayout(), revision: opts.series, fragments: opts.config, jobs: opts.jobs, sourceUrl: opts.sourceUrl });
    for (const s of steps) out.push(`${s.build!.ok ? 'builds' : 'BREAKS'}  ${s.layer}/${s.name}  (${s.build!.seconds.toFixed(1)} s)${s.build!.error ? `: ${s.build!.error}` : ''}`);
    if (opts.json) out.push(JSON.stringify(steps.map(({ kernel: _k, ...s }) => s), null, 2));
    const broken = steps.find((s) => !s.build!.ok);
    if (broken) return { lines: out, broken: `${broken.layer}/${broken.name}` };
  }
  const rec = await buildRevision({ layout: cacheLayout(), revision: opts.series, fragments: opts.config, jobs: opts.jobs, sourceUrl: opts.sourceUrl });
  if (opts.json) out.push(JSON.stringify(rec, null, 2));
  const bz = rec.artifacts.find((a) => a.name === 'bzImage');
  out.push(`${rec.upToDate ? `${rec.revision} is up to date (make not run)` : `built ${rec.revision} in ${rec.durationSeconds.toFixed(1)} s`} (${rec.warningCount} warnings): ${bz?.path}`);
  out.push(`record: ${rec.outDir}/build.json   log: ${rec.log}`);
  return { lines: out };
}
