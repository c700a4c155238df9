import { join } from 'node:path';
import type { CacheLayout } from '../paths.ts';
import { installHeaders } from '../kbuild/headers.ts';
import { claimBuildDir } from '../tree/build-dir.ts';
import { withLock } from '../util/lock.ts';
import { say } from '../util/progress.ts';
import { buildHelper, buildIoctl32 } from './helper-build.ts';

/** What every guest of a revision boots with: the helper, built against that tree's exported headers. */
export interface GuestKit {
  /** the tree's `make headers_install` */
  include: string;
  /** the static /init */
  helper: string;
  /** the 32-bit caller of compat32, /ioctl32 in the guest */
  ioctl32: string;
}

/** The part of a work tree the kit depends on. */
export interface KitTree {
  dir: string;
  home: string;
  key: string;
  instance: string;
}

/**
 * headers_install and the helper, in a dir of their own beside the kernel's
 * build dir: they need only the patched tree (headers_% needs no .config),
 * so the rig makes them while the kernel compiles. One tree extraction owns
 * the dir, as with build dirs (a re-extracted tree's old mtimes would make
 * stale headers look current); a lock keeps two runs of a revision apart.
 */
export function prepareGuestKit(layout: CacheLayout, tree: KitTree, contract: string): Promise<GuestKit> {
  const dir = join(tree.home, 'guest');
  return withLock(
    join(layout.locks, `guest-${tree.key}.lock`),
    async () => {
      await claimBuildDir(dir, tree.instance);
      const include = await installHeaders(tree.dir, dir);
      return { include, helper: await buildHelper(join(dir, 'helper'), contract, include), ioctl32: await buildIoctl32(join(dir, 'helper')) };
    },
    (pid) => say(`waiting for the guest helper of ${tree.key}: pid ${pid} is making it`),
  );
}
