import type { Command } from 'commander';
import { probeTools } from '../kbuild/toolchain.ts';
import { infraError } from '../errors.ts';
import { cacheLayout } from '../paths.ts';
import { readCachedSource } from '../source/cache.ts';
import { LINUX_2_6_27 } from '../source/linux-2.6.27.ts';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check host tools and the source cache; name the Debian packages to install')
    .action(async () => {
      const all = await probeTools();
      const missing = all.filter((s) => !s.found && !s.spec.optional);
      for (const s of all) {
        const mark = s.found ? 'ok  ' : s.spec.optional ? 'opt ' : 'MISS';
        console.log(`${mark} ${s.spec.name.padEnd(20)} ${s.found ? s.version : `(Debian: ${s.spec.debian}) ${s.spec.why}`}`);
      }
      const src = await readCachedSource(cacheLayout(), LINUX_2_6_27.treeId);
      console.log(src ? `ok   Linux ${LINUX_2_6_27.version} source cached (${src.origin})` : `note Linux ${LINUX_2_6_27.version} source not cached: freeze-rig source fetch | source import <path>`);
      if (missing.length) {
        const pkgs = [...new Set(missing.map((m) => m.spec.debian))];
        throw infraError(`${missing.length} required tool(s) missing`, {
          hint: `apt-get install --no-install-recommends ${pkgs.join(' ')}   (or: bash rig/setup/install-deps.sh)`,
        });
      }
    });
}
