import type { CacheLayout } from '../paths.ts';
import { ensureSource } from '../source/ensure.ts';
import { join } from 'node:path';
import { prepareWorkTree, treeKey, type WorkTree } from '../tree/work-tree.ts';
import { withLock } from '../util/lock.ts';
import { buildKernel, type BuildRecord } from '../kbuild/build-kernel.ts';
import { DEFAULT_FRAGMENTS, loadFragment } from '../config/fragments.ts';
import { say } from '../util/progress.ts';
import { loadRevision, type Revision } from './revision.ts';

export interface BuildRevisionOptions {
  layout: CacheLayout;
  /** a name, a series directory, or a revision already loaded */
  revision: string | Revision;
  fragments?: string[];
  jobs?: number;
  sourceUrl?: string;
  /** called once the work tree is ready, before the kernel builds: what may start beside the build */
  onTree?: (tree: WorkTree) => void;
  /** make waits for this (the build before it in a run); the tree is prepared at once */
  gate?: Promise<unknown>;
}

/**
 * source -> tree -> config -> build, for one revision. A second run of the
 * same revision waits: it must neither change the tree under this build nor
 * share its build dir.
 */
export async function buildRevision(o: BuildRevisionOptions): Promise<BuildRecord> {
  const source = await ensureSource(o.layout, o.sourceUrl);
  const stack = typeof o.revision === 'string' ? await loadRevision(o.revision) : o.revision;
  const lock = join(o.layout.locks, `revision-${treeKey(source, stack.name)}.lock`);
  const waiting = (pid: number) => say(`waiting for ${stack.name}: pid ${pid} is building it`);
  const prepare = () => prepareWorkTree({ layout: o.layout, source, revision: stack.name, patches: stack.patches });
  if (!o.gate) return withLock(lock, async () => build(o, source, stack, announced(o, await prepare())), waiting);
  // The tree is prepared now, make runs after the gate: the lock is not held
  // while waiting (two runs that wait on each other's revisions would
  // deadlock). After the gate the tree is taken as prepared only if nobody
  // changed it meanwhile; else as it is then (not fresh: not seeded).
  const first = announced(o, await withLock(lock, prepare, waiting));
  await o.gate;
  return withLock(lock, async () => {
    const again = await prepare();
    return build(o, source, stack, again.action === 'reused' && again.instance === first.instance ? first : announced(o, again));
  }, waiting);
}

/** Says how the tree was obtained (and any fuzz), and starts what may run beside its build. */
function announced(o: BuildRevisionOptions, tree: WorkTree): WorkTree {
  say(`work tree ${tree.key}: ${tree.action}` + (tree.action === 'updated' ? ` (popped ${tree.popped}, pushed ${tree.pushed})` : '') + ` -> ${tree.dir}`);
  for (const a of tree.applied) {
    for (const h of a.fuzz) say(`finding: ${a.layer}/${a.name} applied hunk #${h.hunk} of ${h.file} with fuzz ${h.fuzz}`);
  }
  o.onTree?.(tree);
  return tree;
}

async function build(o: BuildRevisionOptions, source: Awaited<ReturnType<typeof ensureSource>>, stack: Revision, tree: WorkTree): Promise<BuildRecord> {
  const fragments = await Promise.all((o.fragments?.length ? o.fragments : DEFAULT_FRAGMENTS).map(loadFragment));
  return buildKernel({ layout: o.layout, source, tree, fragments, jobs: o.jobs, patches: stack.patches });
}
