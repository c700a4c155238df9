import { mkdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { infraError } from '../errors.ts';
import { repoPath } from '../paths.ts';
import { exists, sha256 } from '../util/files.ts';
import { commandMissing } from '../util/exec.ts';

export const GUEST_DIR = repoPath('rig', 'guest');
/** The helper's sources: PID 1 and its parts; kernel-ioctls.c is the one that includes the kernel's exported headers. */
export const HELPER_SOURCES = ['freeze-helper.c', 'report.c', 'freeze-ops.c', 'probes.c', 'scenarios.c', 'backup.c', 'host.c', 'kernel-ioctls.c'].map((f) => join(GUEST_DIR, f));
export const HELPER_HEADERS = [join(GUEST_DIR, 'helper.h')];

/** argv for musl-gcc: static, warnings on, optional kernel header dir. Pure. */
export function helperCompileArgs(out: string, includeDir?: string): string[] {
  return ['-static', '-O2', '-Wall', '-Wextra', '-Werror', '-o', out, ...(includeDir ? ['-I', includeDir] : []), ...HELPER_SOURCES];
}

/**
 * Builds the static guest helper into outDir, reusing it when the source and
 * headers are unchanged (the name carries their hash).
 */
export async function buildHelper(outDir: string, includeDir?: string): Promise<string> {
  const src = Buffer.concat(await Promise.all([...HELPER_SOURCES, ...HELPER_HEADERS].map((f) => readFile(f))));
  const kernelHeaders = ['linux/fs.h', 'linux/ext3_fs.h'].map((h) => (includeDir ? readFile(join(includeDir, h)).catch(() => Buffer.from('')) : Buffer.from('')));
  const fsH = Buffer.concat(await Promise.all(kernelHeaders));
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
