import { readdir, readFile } from 'node:fs/promises';
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

/** The revision a series directory builds on ("extends" in its manifest), if any. */
async function baseOf(dir: string): Promise<string | undefined> {
  const text = await readFile(join(dir, 'manifest.json'), 'utf8').catch(() => undefined);
  if (!text) return undefined;
  try {
    return (JSON.parse(text) as { extends?: string }).extends;
  } catch {
    return undefined; // loadManifest reports the broken JSON
  }
}

/**
 * The whole stack for a revision: the compat layer, then the series it
 * extends (a known-bad fixture is a revision plus one patch), then its own.
 */
export async function loadStack(revision: string): Promise<{ name: string; patches: LoadedPatch[] }> {
  const { name, dir } = revisionDir(revision);
  const compat = await loadSeries(COMPAT_DIR, 'compat');
  const layers: LoadedPatch[][] = [];
  const seen = new Set<string>();
  for (let d: { name: string; dir: string } | undefined = { name, dir }; d; ) {
    if (seen.has(d.dir)) throw inputError(`${revision}: "extends" loops back to ${d.name}`);
    seen.add(d.dir);
    const current = d;
    layers.unshift(
      await loadSeries(current.dir, current.name).catch(async (e) => {
        const known = await listRevisions();
        throw inputError(`unknown patch revision ${current.name}`, { hint: `known revisions: ${known.join(', ')} (or a path to a series directory)`, cause: e });
      }),
    );
    const base = await baseOf(current.dir);
    d = base ? revisionDir(base) : undefined;
  }
  return { name, patches: [...compat, ...layers.flat()] };
}
