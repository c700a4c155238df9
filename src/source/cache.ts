import { mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { inputError } from '../errors.ts';
import type { CacheLayout } from '../paths.ts';
import { writeJsonAtomic } from '../util/atomic.ts';
import { scanTar, type TarScan } from './tar-scan.ts';
import { LINUX_2_6_27 } from './linux-2.6.27.ts';

/**
 * A cached source: sources/<tree id>/linux.tar (plain tar, verified) and
 * source.json. It is written to a temp dir and renamed into place, so a
 * directory named by a tree id is always complete and verified.
 */
export interface CachedSource {
  treeId: string;
  version: string;
  /** Top directory inside linux.tar to strip on extraction ('' if none). */
  prefix: string;
  files: number;
  bytes: number;
  origin: string;
  importedAt: string;
  tarball: string;
}

export const sourceDir = (layout: CacheLayout, treeId: string) => join(layout.sources, treeId);

export async function readCachedSource(layout: CacheLayout, treeId: string): Promise<CachedSource | undefined> {
  try {
    const meta = JSON.parse(await readFile(join(sourceDir(layout, treeId), 'source.json'), 'utf8')) as CachedSource;
    await stat(meta.tarball);
    return meta;
  } catch {
    return undefined;
  }
}

export async function listCachedSources(layout: CacheLayout): Promise<CachedSource[]> {
  const names = await readdir(layout.sources).catch(() => [] as string[]);
  const out: CachedSource[] = [];
  for (const n of names) {
    if (n.startsWith('.')) continue;
    const s = await readCachedSource(layout, n);
    if (s) out.push(s);
  }
  return out;
}

/** The message for a tree that is not 2.6.27: what was found, and what was wanted. */
export function describeMismatch(found: Pick<TarScan, 'treeId' | 'files' | 'version'>, what: string): string {
  const v = found.version ? `Linux ${found.version}` : 'no kernel Makefile';
  return (
    `${what} is not Linux ${LINUX_2_6_27.version}: found ${v}, tree id ${found.treeId} (${found.files} files); ` +
    `expected tree id ${LINUX_2_6_27.treeId} (${LINUX_2_6_27.files} files)`
  );
}

/**
 * Streams a plain tar into the cache while hashing it; keeps it only when its
 * tree id is the expected one. Returns the cached source.
 */
export async function storeVerifiedTar(
  layout: CacheLayout,
  tar: Readable,
  origin: string,
  onBytes?: (n: number) => void,
): Promise<CachedSource> {
  await mkdir(layout.sources, { recursive: true });
  const tmp = join(layout.sources, `.import-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp);
  try {
    const tarball = join(tmp, 'linux.tar');
    const [scan] = await Promise.all([scanTar(tar, onBytes), pipeline(tar, createWriteStream(tarball))]);
    if (scan.treeId !== LINUX_2_6_27.treeId) {
      throw inputError(describeMismatch(scan, origin), {
        hint: `give a Linux ${LINUX_2_6_27.version} tarball from kernel.org, or a git tree at tag v${LINUX_2_6_27.version}`,
      });
    }
    const final = sourceDir(layout, scan.treeId);
    const meta: CachedSource = {
      treeId: scan.treeId,
      version: scan.version ?? LINUX_2_6_27.version,
      prefix: scan.prefix,
      files: scan.files,
      bytes: scan.bytes,
      origin,
      importedAt: new Date().toISOString(),
      tarball: join(final, 'linux.tar'),
    };
    await writeJsonAtomic(join(tmp, 'source.json'), meta);
    try {
      await rename(tmp, final);
    } catch (e) {
      // Another run stored the same tree first: theirs is just as good.
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
      await rm(tmp, { recursive: true, force: true });
    }
    return (await readCachedSource(layout, scan.treeId)) ?? meta;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
