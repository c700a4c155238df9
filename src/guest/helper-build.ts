import { mkdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { infraError } from '../errors.ts';
import { repoPath } from '../paths.ts';
import { exists, sha256 } from '../util/files.ts';
import { commandMissing } from '../util/exec.ts';

export const HELPER_SOURCE = repoPath('rig', 'guest', 'freeze-helper.c');
/** The one file that includes the kernel's exported headers. */
export const HELPER_KERNEL_SOURCE = repoPath('rig', 'guest', 'kernel-ioctls.c');

/** argv for musl-gcc: static, warnings on, optional kernel header dir. Pure. */
export function helperCompileArgs(out: string, includeDir?: string): string[] {
  return ['-static', '-O2', '-Wall', '-Wextra', '-Werror', '-o', out, HELPER_SOURCE, ...(includeDir ? ['-I', includeDir] : []), HELPER_KERNEL_SOURCE];
}

/**
 * Builds the static guest helper into outDir, reusing it when the source and
 * headers are unchanged (the name carries their hash).
 */
export async function buildHelper(outDir: string, includeDir?: string): Promise<string> {
  const src = Buffer.concat([await readFile(HELPER_SOURCE), await readFile(HELPER_KERNEL_SOURCE)]);
  const fsH = includeDir ? await readFile(join(includeDir, 'linux/fs.h')).catch(() => Buffer.from('')) : Buffer.from('');
  const key = sha256(Buffer.concat([src, Buffer.from(includeDir ?? ''), fsH])).slice(0, 16);
  const out = join(outDir, `freeze-helper-${key}`);
  if (await exists(out)) return out;
  await mkdir(outDir, { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  const r = await execa('musl-gcc', helperCompileArgs(tmp, includeDir), { reject: false, all: true });
  if (commandMissing(r)) {
    throw infraError('musl-gcc is not installed', { hint: 'apt-get install musl-tools (or run: freeze-rig doctor)' });
  }
  if (r.exitCode !== 0) throw infraError('the guest helper does not compile', { details: (r.all ?? '').split('\n').slice(0, 20) });
  await rename(tmp, out);
  return out;
}
