import type { Command } from 'commander';
import { cacheLayout } from '../paths.ts';
import { listCachedSources } from '../source/cache.ts';
import { fetchSource, sourceUrl } from '../source/ensure.ts';
import { classifyImportPath, importSource } from '../source/import.ts';
import { LINUX_2_6_27 } from '../source/linux-2.6.27.ts';

export function registerSource(program: Command): void {
  const source = program.command('source').description(`the Linux ${LINUX_2_6_27.version} source in the rig's cache`);

  source
    .command('fetch')
    .description(`download Linux ${LINUX_2_6_27.version} from kernel.org and verify it by git tree id`)
    .option('--url <url>', `tarball URL (env ${LINUX_2_6_27.urlEnv})`)
    .action(async (opts: { url?: string }) => {
      const s = await fetchSource(cacheLayout(), sourceUrl(opts.url));
      console.log(`cached Linux ${s.version}, tree ${s.treeId}: ${s.tarball}`);
    });

  source
    .command('import <path>')
    .description('import a tarball (.tar, .tar.gz, .tar.xz, .tar.bz2) or a git repository, verified by git tree id')
    .option('--ref <ref>', `git ref to import (default v${LINUX_2_6_27.version})`)
    .action(async (path: string, opts: { ref?: string }) => {
      const s = await importSource(cacheLayout(), await classifyImportPath(path, opts.ref));
      console.log(`cached Linux ${s.version}, tree ${s.treeId} (${s.files} files) from ${s.origin}: ${s.tarball}`);
    });

  source
    .command('status')
    .description('what is cached')
    .option('--json', 'machine-readable')
    .action(async (opts: { json?: boolean }) => {
      const layout = cacheLayout();
      const all = await listCachedSources(layout);
      if (opts.json) return console.log(JSON.stringify({ cache: layout.root, sources: all }, null, 2));
      console.log(`cache: ${layout.root}`);
      if (!all.length) {
        console.log(`no source cached. Get one with: freeze-rig source fetch   or   freeze-rig source import <tarball|git tree>`);
        return;
      }
      for (const s of all) {
        const ok = s.treeId === LINUX_2_6_27.treeId ? 'verified' : 'unexpected';
        console.log(`Linux ${s.version}  tree ${s.treeId} (${ok})  ${s.files} files  from ${s.origin}  at ${s.importedAt}`);
      }
    });
}
