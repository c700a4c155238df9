import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { buildKernel, type BuildRecord } from '../kbuild/build-kernel.ts';
import { DEFAULT_FRAGMENTS, loadFragment } from '../config/fragments.ts';
import { RigError } from '../errors.ts';
import { ensureSource } from '../source/ensure.ts';
import { isRigLayer, type LoadedPatch } from '../tree/series.ts';
import { prepareWorkTree, treeKey } from '../tree/work-tree.ts';
import { artifact } from '../util/files.ts';
import { withLock } from '../util/lock.ts';
import { say } from '../util/progress.ts';
import type { BuildRevisionOptions } from './build-revision.ts';
import { loadRevision, type Revision } from './revision.ts';
import type { PatchRecord } from '../kbuild/patch-records.ts';

/** The revision's own patches (not the rig's layers), in order: patch k of n is own[k-1]. */
export const ownPatches = (rev: Revision): LoadedPatch[] => rev.patches.filter((p) => !isRigLayer(p.layer));

/** The name a kernel built after patch k of a revision goes by (its guests' directory, its results). Pure. */
export const prefixName = (revision: string, k: number) => `${revision}@${k}`;

/** One step of a per-patch build: the record the report keeps, and the kernel kept for booting. */
export interface PrefixStep extends Pick<PatchRecord, 'layer' | 'name' | 'build'> {
  /** 1-based: the tree has the revision's first k own patches */
  k: number;
  /** the build after this patch, its bzImage copied aside (keep) so later steps do not overwrite it; revision is prefixName */
  kernel?: BuildRecord;
}

export interface PerPatchOptions extends BuildRevisionOptions {
  /** only these steps (1-based), in this order; default every own patch, first to last */
  only?: number[];
  /** copy each step's bzImage into keep/<revision@k>/ to boot it later */
  keep?: string;
}

/**
 * Builds the revision's tree after each of its patches, in its one work tree
 * and build dir, so each step is incremental (the stack is popped and pushed
 * only as far as the step needs). Stops at the first patch that does not
 * build. Used for bisectability (build --per-patch), per-patch runs and
 * bisect, which boot the kept kernels.
 */
export async function buildPerPatch(o: PerPatchOptions): Promise<PrefixStep[]> {
  const source = await ensureSource(o.layout, o.sourceUrl);
  const stack = typeof o.revision === 'string' ? await loadRevision(o.revision) : o.revision;
  const fragments = await Promise.all((o.fragments?.length ? o.fragments : DEFAULT_FRAGMENTS).map(loadFragment));
  const own = ownPatches(stack);
  const firstOwn = stack.patches.length - own.length;
  const steps = o.only ?? own.map((_, i) => i + 1);
  const lock = join(o.layout.locks, `revision-${treeKey(source, stack.name)}.lock`);
  return withLock(lock, async () => {
    const out: PrefixStep[] = [];
    for (const k of steps) {
      const p = own[k - 1]!;
      const patches = stack.patches.slice(0, firstOwn + k);
      say(`per-patch: ${stack.name} up to ${k}/${own.length} ${p.layer}/${p.name}`);
      const tree = await prepareWorkTree({ layout: o.layout, source, revision: stack.name, patches });
      const started = Date.now();
      try {
        const rec = await buildKernel({ layout: o.layout, source, tree, fragments, jobs: o.jobs, patches });
        // the last step is the revision itself, booted as such (unless it was asked for alone: bisect)
        const keep = o.keep && (o.only || k < own.length);
        const kernel = keep ? await keepKernel(rec, join(o.keep!, prefixName(stack.name, k)), prefixName(stack.name, k)) : undefined;
        out.push({ k, layer: p.layer, name: p.name, build: { ok: true, seconds: rec.durationSeconds, compiled: rec.compiled }, ...(kernel ? { kernel } : {}) });
      } catch (e) {
        if (!(e instanceof RigError) || e.kind !== 'expectation') throw e;
        const error = e.stage === 'config' ? `config: ${[e.message, ...e.details].join('; ')}` : e.log ? `${e.message} (log: ${e.log})` : e.message;
        out.push({ k, layer: p.layer, name: p.name, build: { ok: false, seconds: (Date.now() - started) / 1000, compiled: 0, error, ...(e.stage ? { stage: e.stage } : {}) } });
        break;
      }
    }
    return out;
  });
}

/** The build's bzImage copied into dir: the record of a kernel that the next step's build leaves alone. */
async function keepKernel(rec: BuildRecord, dir: string, revision: string): Promise<BuildRecord> {
  await mkdir(dir, { recursive: true });
  const bz = rec.artifacts.find((a) => a.name === 'bzImage')!;
  const copy = join(dir, 'bzImage');
  await copyFile(bz.path, copy);
  return { ...rec, revision, artifacts: [await artifact('bzImage', copy)] };
}
