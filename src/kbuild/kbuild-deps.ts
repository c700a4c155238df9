/**
 * What kbuild knows about each object's inputs: the `deps_<target>` list in
 * its `.<name>.o.cmd` file (fixdep's rewrite of gcc's -MD output). Used to
 * name the units a change of a file must recompile.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { relativeTo } from './build-log.ts';

/** The object and the files it was compiled from, as the .cmd file names them. Pure. */
export function parseCmdDeps(text: string): { target: string; deps: string[] } | undefined {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^deps_\S+ := \\$/.test(l));
  if (start < 0) return undefined;
  const target = /^deps_(\S+) :=/.exec(lines[start]!)![1]!;
  const deps: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const item = line.replace(/\\$/, '').trim();
    if (!item) break;
    if (!item.startsWith('$(wildcard')) deps.push(item);
  }
  return { target, deps };
}

/**
 * The C units of a build dir that include any of `files` (paths relative to
 * the tree), each named by its source relative to the tree.
 */
export async function unitsIncluding(outDir: string, srcDir: string, files: string[]): Promise<string[]> {
  const wanted = new Set(files);
  const units: string[] = [];
  for (const rel of await readdir(outDir, { recursive: true })) {
    if (!/(^|\/)\.[^/]+\.o\.cmd$/.test(rel)) continue;
    const parsed = parseCmdDeps(await readFile(join(outDir, rel), 'utf8'));
    if (!parsed) continue;
    const deps = parsed.deps.map((d) => relativeTo(d, srcDir));
    const source = deps.find((d) => d.endsWith('.c'));
    if (source && deps.some((d) => wanted.has(d))) units.push(source);
  }
  return units.sort();
}
