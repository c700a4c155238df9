import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inputError } from '../errors.ts';
import type { FsName } from '../guest/disk-images.ts';

/**
 * What a revision offers and promises, per filesystem (patches/series/REV/
 * manifest.json). The guest and the judge take interfaces and expectations
 * from here, never from the code under test.
 */
export interface FsManifest {
  /** How the guest freezes this fs: generic FIFREEZE/FITHAW, XFS's own, or none. */
  iface: 'generic' | 'xfs-legacy' | null;
  /** Why there is no interface, when iface is null. */
  why?: string;
}

export interface Manifest {
  revision: string;
  summary: string;
  ioctls: { name: string; number: string; argument: string; filesystems: FsName[] }[];
  filesystems: Record<FsName, FsManifest>;
  errors?: Record<string, string>;
  secondFreeze?: 'EBUSY' | 'EINVAL' | 'nested' | 'ignored';
  lockdep?: string;
}

export async function loadManifest(seriesDir: string): Promise<Manifest> {
  const file = join(seriesDir, 'manifest.json');
  const text = await readFile(file, 'utf8').catch(() => {
    throw inputError(`no manifest: ${file}`, { hint: 'every revision states what it offers and promises in manifest.json' });
  });
  try {
    return JSON.parse(text) as Manifest;
  } catch (e) {
    throw inputError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
}
