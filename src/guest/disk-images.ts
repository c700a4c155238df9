import { open, rm } from 'node:fs/promises';
import { execa } from 'execa';
import { infraError } from '../errors.ts';

export type FsName = 'ext3' | 'xfs';

/** The filesystems the rig tests, in the order runs and reports list them. */
export const FILESYSTEMS: readonly FsName[] = ['ext3', 'xfs'];

/** Sizes: XFS v4 needs at least 300 MiB; images are sparse. */
export const IMAGE_MIB: Record<FsName, number> = { ext3: 64, xfs: 320 };

/**
 * mkfs command lines, as data. Modern mkfs.xfs makes filesystems 2.6.27
 * cannot mount ("XFS: bad version"): these flags give a v4 filesystem it can.
 */
export function mkfsArgs(fs: FsName, image: string): string[] {
  if (fs === 'ext3') return ['mkfs.ext3', '-F', '-q', image];
  return [
    'mkfs.xfs', '-f', '-q',
    '-m', 'crc=0,finobt=0,rmapbt=0,reflink=0,bigtime=0,inobtcount=0',
    '-i', 'sparse=0,projid32bit=0',
    '-n', 'ftype=0',
    image,
  ];
}

/**
 * Read-only checks of an image after the guest shut down, as data: -n never
 * writes, and -f (e2fsck) checks even a filesystem marked clean. Exit 0 = clean.
 */
export function fsckArgs(fs: FsName, image: string): string[] {
  return fs === 'ext3' ? ['e2fsck', '-fn', image] : ['xfs_repair', '-n', image];
}

/** A fresh sparse image with a new filesystem. */
export async function makeImage(fs: FsName, image: string): Promise<void> {
  await rm(image, { force: true });
  const fh = await open(image, 'w');
  await fh.truncate(IMAGE_MIB[fs] * 1024 * 1024);
  await fh.close();
  const [cmd, ...args] = mkfsArgs(fs, image);
  // mkfs.xfs prints a V4 deprecation warning: kept in the error only.
  const r = await execa(cmd!, args, { reject: false, all: true, env: { TZ: 'UTC' } });
  if (r.exitCode !== 0) throw infraError(`${cmd} failed on ${image}`, { details: (r.all ?? '').split('\n').slice(-10), hint: 'apt-get install e2fsprogs xfsprogs' });
}
