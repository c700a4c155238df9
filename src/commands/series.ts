import type { Command } from 'commander';
import { relative } from 'node:path';
import { newRevision } from '../pipeline/new-revision.ts';

export function registerSeries(program: Command): void {
  const series = program.command('series').description('revisions of the series under patches/series');
  series
    .command('new')
    .description('a new revision to edit: REV\'s series file, patches and manifest copied under patches/series/NAME (the manifest points at its schema, whose descriptions explain every field)')
    .argument('<name>', 'the new revision\'s name (its directory under patches/series)')
    .requiredOption('--from <rev>', 'the revision to start from (a name, or a series directory); baseline for an empty series')
    .action(async (name: string, opts: { from: string }) => {
      const made = await newRevision(name, opts.from);
      const shown = relative(process.cwd(), made.dir) || made.dir;
      console.log(`made ${shown}: ${made.patches} patch(es) from ${opts.from}, a series file and manifest.json (fields: src/scenarios/manifest.schema.json)`);
      console.log(`edit the patches and the manifest's promises, then run:\n  npx freeze-rig run --series ${shown}`);
    });
}
