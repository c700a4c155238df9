import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const ownerFile = (outDir: string) => join(outDir, '.freeze-rig-tree');

/**
 * A build dir belongs to one extraction of a work tree. A tree extracted anew
 * has files older than the objects here, so make would trust stale objects:
 * such a build dir (or one whose owner is unknown) is started over.
 */
export async function claimBuildDir(outDir: string, instance: string): Promise<void> {
  const owner = await readFile(ownerFile(outDir), 'utf8').catch(() => undefined);
  if (owner === instance) return;
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  await writeFile(ownerFile(outDir), instance);
}

/** Hands a build dir (a seeded copy) to a tree instance. */
export const ownBuildDir = (outDir: string, instance: string) => writeFile(ownerFile(outDir), instance);

