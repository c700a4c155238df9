import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout: patches/, kernel-config/, rig/ are read from here. */
export const repoRoot = fileURLToPath(new URL('..', import.meta.url));
export const repoPath = (...p: string[]) => join(repoRoot, ...p);

/**
 * The rig's cache (sources, work trees, build dirs) lives outside the repo:
 * FREEZE_RIG_CACHE, else $XDG_CACHE_HOME/freeze-rig, else ~/.cache/freeze-rig.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FREEZE_RIG_CACHE) return env.FREEZE_RIG_CACHE;
  const xdg = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(xdg, 'freeze-rig');
}

export interface CacheLayout {
  root: string;
  sources: string;
  downloads: string;
  trees: string;
  locks: string;
}

export function cacheLayout(root = cacheRoot()): CacheLayout {
  return {
    root,
    sources: join(root, 'sources'),
    downloads: join(root, 'downloads'),
    trees: join(root, 'trees'),
    locks: join(root, 'locks'),
  };
}
