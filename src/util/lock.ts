import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * An exclusive lock file (O_EXCL) holding the owner's pid. A lock whose owner
 * died (Ctrl-C, kill -9) is taken over, so an interrupted run never wedges
 * the cache. Waits while another live run holds it.
 */
export async function withLock<T>(
  path: string,
  fn: () => Promise<T>,
  onWait?: (holder: number) => void,
): Promise<T> {
  await mkdir(dirname(path), { recursive: true });
  let told = false;
  for (;;) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (!holder || !alive(holder)) {
        // Stale (or being written this instant): remove only if still stale.
        await sleep(50);
        const again = Number((await readFile(path, 'utf8').catch(() => '')).trim());
        if (again === holder) await rm(path, { force: true });
        continue;
      }
      if (!told) onWait?.(holder);
      told = true;
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}
