import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inputError } from '../errors.ts';
import { safeRelativePath } from '../source/safe-path.ts';

/** One line of a quilt series file. */
export interface SeriesEntry {
  /** Patch file name, relative to the series directory. */
  name: string;
  /** -pN strip level (quilt's default is 1). */
  strip: number;
}

/**
 * Parses a quilt `series` file: one patch per line, optional -pN, '#'
 * comments and blank lines ignored. Pure; errors name the line.
 */
export function parseSeries(text: string, where = 'series'): SeriesEntry[] {
  const out: SeriesEntry[] = [];
  const seen = new Set<string>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) return;
    const [file, ...opts] = line.split(/\s+/);
    const name = safeRelativePath(file!);
    if (!name) throw inputError(`${where}:${i + 1}: patch path escapes the series directory: ${file}`);
    let strip = 1;
    for (const o of opts) {
      const m = /^-p(\d+)$/.exec(o);
      if (!m) throw inputError(`${where}:${i + 1}: unknown option ${o} (only -pN is supported)`);
      strip = Number(m[1]);
    }
    if (seen.has(name)) throw inputError(`${where}:${i + 1}: ${name} is listed twice`);
    seen.add(name);
    out.push({ name, strip });
  });
  return out;
}

/**
 * The rig's own layers, below every revision: the toolchain-compat layer,
 * then the test instrumentation. Not the revision's patches: not reported,
 * checked or bisected as its own.
 */
export const RIG_LAYERS = ['compat', 'instrument'] as const;
export const isRigLayer = (layer: string) => (RIG_LAYERS as readonly string[]).includes(layer);

/** A patch of a series with its content, as the work tree applies it. */
export interface LoadedPatch extends SeriesEntry {
  /** Which layer it belongs to: one of RIG_LAYERS or a revision name. */
  layer: string;
  file: string;
  text: string;
  sha256: string;
}

export async function loadSeries(dir: string, layer: string): Promise<LoadedPatch[]> {
  const seriesFile = join(dir, 'series');
  const text = await readFile(seriesFile, 'utf8').catch(() => {
    throw inputError(`no series file: ${seriesFile}`, { hint: 'a patch layer is a directory with a quilt series file listing its patches' });
  });
  const entries = parseSeries(text, seriesFile);
  return Promise.all(
    entries.map(async (e) => {
      const file = join(dir, e.name);
      const body = await readFile(file, 'utf8').catch(() => {
        throw inputError(`${seriesFile} lists ${e.name}, which does not exist`, { hint: `add the patch to ${dir}, or take its line out of the series file` });
      });
      return { ...e, layer, file, text: body, sha256: createHash('sha256').update(body).digest('hex') };
    }),
  );
}

/** Identity of a patch in an applied stack: where it comes from and what it says. */
export const patchKey = (p: Pick<LoadedPatch, 'layer' | 'name' | 'strip' | 'sha256'>) => `${p.layer}/${p.name}@p${p.strip}:${p.sha256}`;

/** How many leading patches two stacks share: the rest is popped and pushed. */
export function commonPrefix(a: string[], b: string[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}
