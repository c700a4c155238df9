import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { inputError } from '../errors.ts';
import { repoPath } from '../paths.ts';
import { resolveManifest, type Manifest } from '../scenarios/manifest.ts';
import { refuseEscaping } from '../tree/patch-file.ts';
import { isRigLayer, loadSeries, type LoadedPatch } from '../tree/series.ts';

export const COMPAT_DIR = repoPath('patches', 'compat');
/** Test instrumentation (annotations for the kernel's own checkers), kept apart from compat and the series. */
export const INSTRUMENT_DIR = repoPath('patches', 'instrument');
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

/** A revision, read and checked whole before anything is built. */
export interface Revision {
  name: string;
  dir: string;
  /** the compat and instrument layers, then the series it extends (a known-bad fixture is a revision plus one patch), then its own */
  patches: LoadedPatch[];
  /** its promises, `extends` resolved; absent when its directory has no manifest.json (it can be built, not judged) */
  manifest?: Manifest;
}

/** manifest.json of a series directory, parsed; undefined when there is none. */
async function readOwnManifest(dir: string): Promise<Manifest | undefined> {
  const file = join(dir, 'manifest.json');
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as Manifest;
  } catch (e) {
    throw inputError(`${file} is not valid JSON: ${(e as Error).message}`, { hint: 'fix the manifest; nothing was built' });
  }
}

/**
 * Everything about a revision that can be wrong without building it: an
 * unknown name, a series file that lists a missing patch, a patch that
 * would write outside the tree, a manifest that is not JSON, does not
 * validate or `extends` in a loop. Errors are input errors that say what to
 * fix.
 */
export async function loadRevision(ref: string): Promise<Revision> {
  const { name, dir } = revisionDir(ref);
  if (isRigLayer(name)) throw inputError(`${name} is one of the rig's own patch layers, not a revision`, { hint: `known revisions: ${(await listRevisions()).join(', ')}` });
  const compat = await loadSeries(COMPAT_DIR, 'compat');
  const instrument = await loadSeries(INSTRUMENT_DIR, 'instrument');
  // the revision and those it extends, base first; each with where its patches go in the one below (manifest insertAfter)
  const layers: { name: string; manifest: string; patches: LoadedPatch[]; insertAfter?: string }[] = [];
  const manifests: { file: string; own: Manifest }[] = [];
  const seen = new Set<string>();
  let ownMissing = false;
  for (let d: { name: string; dir: string } | undefined = { name, dir }; d; ) {
    if (seen.has(d.dir)) throw inputError(`${ref}: "extends" loops back to ${d.name}`);
    seen.add(d.dir);
    const current = d;
    // no series file: not a revision at all; a series file with a fault says which (loadSeries)
    if (!(await stat(join(current.dir, 'series')).catch(() => undefined))) {
      const known = await listRevisions();
      throw inputError(`unknown patch revision ${current.name}${current.dir === dir && ref.includes('/') ? ` (${dir} has no series file)` : ''}`, { hint: `known revisions: ${known.join(', ')} (or a path to a series directory)` });
    }
    const patches = await loadSeries(current.dir, current.name);
    const file = join(current.dir, 'manifest.json');
    const own = await readOwnManifest(current.dir);
    if (own) manifests.push({ file, own });
    else if (current.dir === dir) ownMissing = true;
    if (own?.insertAfter !== undefined && (typeof own.insertAfter !== 'string' || !own.extends)) throw inputError(`${file}: "insertAfter" names a patch of the revision in "extends"`, { hint: 'give "extends" and the file name of one of its patches' });
    layers.unshift({ name: current.name, manifest: file, patches, ...(own?.insertAfter ? { insertAfter: own.insertAfter } : {}) });
    d = own?.extends ? revisionDir(own.extends) : undefined;
  }
  // each layer stacks on those before it: its patches go after the one it names, or last
  const series: LoadedPatch[] = [];
  for (const [i, layer] of layers.entries()) {
    if (layer.insertAfter === undefined) {
      series.push(...layer.patches);
      continue;
    }
    const base = layers[i - 1]!.name;
    const at = series.findIndex((p) => p.layer === base && p.name === layer.insertAfter);
    if (at < 0) throw inputError(`${layer.manifest}: "insertAfter": ${layer.insertAfter} is not a patch of ${base}`, { hint: `its patches: ${series.filter((p) => p.layer === base).map((p) => p.name).join(', ')}` });
    series.splice(at + 1, 0, ...layer.patches);
  }
  const patches = [...compat, ...instrument, ...series];
  for (const p of patches) refuseEscaping(p);
  return { name, dir, patches, ...(ownMissing ? {} : { manifest: resolveManifest(manifests) }) };
}

/** The manifest a run judges by; a revision without one cannot be run. */
export function manifestOf(r: Revision): Manifest {
  if (!r.manifest) throw inputError(`no manifest: ${join(r.dir, 'manifest.json')}`, { hint: 'every revision states what it offers and promises in manifest.json' });
  return r.manifest;
}
