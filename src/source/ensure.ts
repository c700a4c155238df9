import { join } from 'node:path';
import { RigError, infraError } from '../errors.ts';
import type { CacheLayout } from '../paths.ts';
import { say } from '../util/progress.ts';
import { readCachedSource, type CachedSource } from './cache.ts';
import { download } from './download.ts';
import { importTarball } from './import.ts';
import { LINUX_2_6_27 } from './linux-2.6.27.ts';

export const sourceUrl = (flag?: string, env: NodeJS.ProcessEnv = process.env) =>
  flag ?? env[LINUX_2_6_27.urlEnv] ?? LINUX_2_6_27.defaultUrl;

export async function fetchSource(layout: CacheLayout, url: string): Promise<CachedSource> {
  const file = join(layout.downloads, url.split('/').pop() || 'linux.tar');
  await download({ url, dest: file });
  return importTarball(layout, file, url);
}

/**
 * The verified 2.6.27 source for run and build: from the cache, else
 * downloaded. When neither serves, one message gives both ways out.
 */
export async function ensureSource(layout: CacheLayout, url?: string): Promise<CachedSource> {
  const cached = await readCachedSource(layout, LINUX_2_6_27.treeId);
  if (cached) return cached;
  const from = sourceUrl(url);
  say(`Linux ${LINUX_2_6_27.version} is not cached in ${layout.sources}; downloading it`);
  try {
    return await fetchSource(layout, from);
  } catch (e) {
    const why = e instanceof RigError ? e.message : String(e);
    throw infraError(`no Linux ${LINUX_2_6_27.version} source: not in the cache, and ${why}`, {
      hint:
        `either let this machine reach ${new URL(from).host} (or point ${LINUX_2_6_27.urlEnv} / --source-url at a mirror) ` +
        `and rerun, or import a copy you have: freeze-rig source import linux-${LINUX_2_6_27.version}.tar.gz ` +
        `(or a git tree: freeze-rig source import /path/to/linux --ref v${LINUX_2_6_27.version})`,
      cause: e,
    });
  }
}
