/**
 * A fresh build dir starts as a copy of a build whose patches are a prefix
 * of this tree's (baseline's for every revision, generic-v2's for its
 * fixtures), so make compiles only what the further patches touch and never
 * runs ccache over the rest (on these machines a build of 722 cache hits
 * still took 45 s, most of it in system calls).
 *
 * Why the copy's objects are right: the tree was extracted after the seed's
 * build finished; every file the seed's tree patched, this tree patched too
 * (the prefix), and so did every further patch, each after the extraction,
 * so all of them are newer than every copied object and make redoes what
 * depends on them; every other file is the pristine source in both trees,
 * byte for byte (the same tree id) and with the tarball's 2008 mtime.
 * A file the seed's patches changed and ours leave as they are (compat's
 * uaccess_64.h, included by some 440 units) then gets the mtime it has in
 * the seed's tree, if that is older than the seed's build and the bytes are
 * the same: those are the bytes the copied objects were compiled from. The
 * compile lines read ../linux/... in both (makeArgs), so kbuild's .cmd
 * checks pass. What is refused: a tree not freshly extracted, a build dir
 * that has objects, further patches that touch a Kconfig file (the seed's
 * .config was verified against the seed's Kconfig), and a seed whose build
 * changed while it was copied.
 */
import { readdir, readFile, rm, stat, utimes } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import type { CacheLayout } from '../paths.ts';
import type { WarningLedger } from './build-log.ts';
import { ownBuildDir } from '../tree/build-dir.ts';
import { patchTargets } from '../tree/patch-file.ts';
import type { LoadedPatch } from '../tree/series.ts';
import type { WorkTree } from '../tree/work-tree.ts';

/** The part of a build record (build-kernel.ts) a seed is chosen by. */
export interface SeedRecord {
  revision: string;
  kernel: { treeId: string };
  config: { hash: string };
  toolchain: Record<string, string>;
  make?: string[];
  tree: { dir: string; patches: { key: string }[] };
  outDir: string;
  /** when its build began (ISO): a file of its tree older than this is what its objects were made from */
  startedAt: string;
}

/** What a candidate seed must match. */
export interface SeedWanted {
  treeId: string;
  configHash: string;
  toolchain: Record<string, string>;
  /** this build's make line with its build dir left out */
  make: string[];
  /** the keys of this tree's applied patches, in order */
  patches: string[];
  /** the tree's extraction: the seed's build must have finished before it */
  extractedAt: number;
}

/** A make line without its build dir (-C DIR), so two trees' lines compare. Pure. */
export const makeLineWithoutDir = (argv: readonly string[]) => argv.filter((a, i) => a !== '-C' && argv[i - 1] !== '-C');

/**
 * The best seed among build records: same source, config, toolchain and
 * make line, patches a prefix of ours, finished before our extraction; the
 * longest prefix wins. Pure.
 */
export function pickSeed<R extends SeedRecord>(candidates: readonly { record: R; finishedAt: number }[], want: SeedWanted): R | undefined {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  let best: R | undefined;
  for (const { record: r, finishedAt } of candidates) {
    const keys = r.tree.patches.map((p) => p.key);
    if (r.kernel.treeId !== want.treeId || r.config.hash !== want.configHash || !same(r.toolchain, want.toolchain)) continue;
    if (!r.make || !same(makeLineWithoutDir(r.make), want.make)) continue;
    if (keys.length > want.patches.length || keys.some((k, i) => want.patches[i] !== k)) continue;
    if (!(finishedAt < want.extractedAt)) continue;
    if (!best || keys.length > best.tree.patches.length) best = r;
  }
  return best;
}

/** Whether patches beyond the first `prefix` touch a Kconfig file. Pure. */
export function touchesKconfig(patches: readonly LoadedPatch[], prefix: number): boolean {
  return [...touchedFiles(patches.slice(prefix))].some((f) => /(^|\/)Kconfig[^/]*$/.test(f));
}

/**
 * Fills the empty build dir `outDir` of `tree` from the best seed; returns
 * the seed's record, or undefined (outDir left empty) when none may serve.
 */
export async function seedBuildDir<R extends SeedRecord>(layout: CacheLayout, tree: WorkTree, patches: readonly LoadedPatch[], outDir: string, want: Omit<SeedWanted, 'patches' | 'extractedAt'>): Promise<(R & { ledger?: WarningLedger }) | undefined> {
  if (tree.action !== 'extracted' || !tree.extractedAt) return undefined;
  const candidates: { record: R; finishedAt: number }[] = [];
  for (const home of await readdir(layout.trees).catch(() => [] as string[])) {
    const file = join(layout.trees, home, basename(outDir), 'build.json');
    if (home === tree.key) continue;
    const st = await stat(file).catch(() => undefined);
    if (!st) continue;
    try {
      const record = JSON.parse(await readFile(file, 'utf8')) as R & { complete?: boolean };
      // a build that is running, or was killed, is no seed
      if (record.complete !== false) candidates.push({ record, finishedAt: st.mtimeMs });
    } catch {
      // a record being written: not a seed
    }
  }
  const seed = pickSeed(candidates, { ...want, patches: tree.applied.map((a) => a.key), extractedAt: Date.parse(tree.extractedAt) });
  if (!seed || touchesKconfig(patches, seed.tree.patches.length)) return undefined;
  const file = join(seed.outDir, 'build.json');
  const before = await stat(file).catch(() => undefined);
  const r = await execa('cp', ['-a', `${seed.outDir}/.`, outDir], { reject: false });
  const after = await stat(file).catch(() => undefined);
  if (r.exitCode !== 0 || !before || !after || before.mtimeMs !== after.mtimeMs || before.size !== after.size) {
    await emptyDir(outDir);
    return undefined;
  }
  await alignUnchanged(seed, tree, patches, Date.parse(seed.startedAt));
  // the copied objects' warnings, per unit (build.json keeps one of each, without saying which units reported it)
  const ledger = JSON.parse(await readFile(join(outDir, 'warnings.json'), 'utf8').catch(() => 'null')) as WarningLedger | null;
  // the seed's records are not this build's; include2/asm points into the seed's tree: prepare3 links it anew
  for (const f of ['build.json', 'warnings.json', 'reproducer.sh', 'build.log', 'ccache-stats.log', 'include2']) await rm(join(outDir, f), { recursive: true, force: true });
  await ownBuildDir(outDir, tree.instance);
  return ledger ? { ...seed, ledger } : seed;
}

/** The files the patches touch, as paths in the tree. Pure. */
export function touchedFiles(patches: readonly LoadedPatch[]): Set<string> {
  return new Set(patches.flatMap((p) => patchTargets(p.text, p.strip).map((t) => t.path)));
}

/**
 * Gives each file that the seed's patches touched and the further patches
 * do not the mtime it has in the seed's tree, where that is older than the
 * seed's build (`builtFrom`, ms) and the bytes are the same; any other file
 * keeps its new mtime, and make redoes what depends on it.
 */
async function alignUnchanged(seed: SeedRecord, tree: WorkTree, patches: readonly LoadedPatch[], builtFrom: number): Promise<void> {
  const prefix = seed.tree.patches.length;
  const further = touchedFiles(patches.slice(prefix));
  for (const f of touchedFiles(patches.slice(0, prefix))) {
    if (further.has(f)) continue;
    const [from, to] = [join(seed.tree.dir, f), join(tree.dir, f)];
    const st = await stat(from).catch(() => undefined);
    if (!st || st.mtimeMs >= builtFrom) continue;
    const [a, b] = await Promise.all([readFile(from).catch(() => undefined), readFile(to).catch(() => undefined)]);
    if (!a || !b || !a.equals(b)) continue;
    await utimes(to, st.atime, st.mtime);
  }
}

async function emptyDir(dir: string): Promise<void> {
  for (const f of await readdir(dir).catch(() => [] as string[])) await rm(join(dir, f), { recursive: true, force: true });
}
