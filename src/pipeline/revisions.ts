import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { inputError } from '../errors.ts';
import { repoPath } from '../paths.ts';
import { loadSeries, type LoadedPatch } from '../tree/series.ts';

export const COMPAT_DIR = repoPath('patches', 'compat');
export const SERIES_ROOT = repoPath('patches', 'series');

export async function listRevisions(root = SERIES_ROOT): Promise<string[]> {
  const names = await readdir(root, { withFileTypes: true }).catch(() => []);
  return names.filter((d) => d.isDirectory()).map((d) => d.name).sort();
}

/** A revision by name (patches/series/NAME) or by directory path (e.g. a test fixture). */
export function revisionDir(nameOrPath: string): { name: string; dir: string } {
  if (nameOrPath.includes('/')) return { name: nameOrPath.replace(/\/+$/, '').split('/').pop()!, dir: nameOrPath };
  return { name: nameOrPath, dir: join(SERIES_ROOT, nameOrPath) };
}

/** The whole stack for a revision: the compat layer, then the revision's series. */
export async function loadStack(revision: string): Promise<{ name: string; patches: LoadedPatch[] }> {
  const { name, dir } = revisionDir(revision);
  const compat = await loadSeries(COMPAT_DIR, 'compat');
  const series = await loadSeries(dir, name).catch(async (e) => {
    const known = await listRevisions();
    throw inputError(`unknown patch revision ${revision}`, { hint: `known revisions: ${known.join(', ')} (or a path to a series directory)`, cause: e });
  });
  return { name, patches: [...compat, ...series] };
}
