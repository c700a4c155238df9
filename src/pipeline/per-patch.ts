import { join } from 'node:path';
import { buildKernel } from '../kbuild/build-kernel.ts';
import { DEFAULT_FRAGMENTS, loadFragment } from '../config/fragments.ts';
import { RigError } from '../errors.ts';
import { ensureSource } from '../source/ensure.ts';
import { isRigLayer } from '../tree/series.ts';
import { prepareWorkTree, treeKey } from '../tree/work-tree.ts';
import { withLock } from '../util/lock.ts';
import { say } from '../util/progress.ts';
import type { BuildRevisionOptions } from './build-revision.ts';
import { loadRevision } from './revision.ts';
import type { PatchRecord } from '../kbuild/patch-records.ts';

/**
 * Bisectability: builds the revision's tree after each of its patches, in
 * one work tree and one build dir, so each step is incremental (the stack is
 * pushed one patch at a time). Stops at the first patch that does not build.
 */
export async function buildPerPatch(o: BuildRevisionOptions): Promise<Pick<PatchRecord, 'layer' | 'name' | 'build'>[]> {
  const source = await ensureSource(o.layout, o.sourceUrl);
  const stack = typeof o.revision === 'string' ? await loadRevision(o.revision) : o.revision;
  const fragments = await Promise.all((o.fragments?.length ? o.fragments : DEFAULT_FRAGMENTS).map(loadFragment));
  const firstOwn = stack.patches.findIndex((p) => !isRigLayer(p.layer));
  const lock = join(o.layout.locks, `revision-${treeKey(source, stack.name)}.lock`);
  return withLock(lock, async () => {
    const out: Pick<PatchRecord, 'layer' | 'name' | 'build'>[] = [];
    for (let i = firstOwn; i >= 0 && i < stack.patches.length; i++) {
      const p = stack.patches[i]!;
      say(`per-patch: ${stack.name} up to ${p.layer}/${p.name}`);
      const tree = await prepareWorkTree({ layout: o.layout, source, revision: stack.name, patches: stack.patches.slice(0, i + 1) });
      const started = Date.now();
      try {
        const rec = await buildKernel({ layout: o.layout, source, tree, fragments, jobs: o.jobs, patches: stack.patches.slice(0, i + 1) });
        out.push({ layer: p.layer, name: p.name, build: { ok: true, seconds: rec.durationSeconds, compiled: rec.compiled } });
      } catch (e) {
        if (!(e instanceof RigError) || e.kind !== 'expectation') throw e;
        const error = e.stage === 'config' ? `config: ${[e.message, ...e.details].join('; ')}` : e.log ? `${e.message} (log: ${e.log})` : e.message;
        out.push({ layer: p.layer, name: p.name, build: { ok: false, seconds: (Date.now() - started) / 1000, compiled: 0, error, ...(e.stage ? { stage: e.stage } : {}) } });
        break;
      }
    }
    return out;
  });
}
