import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { infraError } from '../errors.ts';
import { repoPath } from '../paths.ts';
import { sha256 } from '../util/files.ts';

export const HELPER_SOURCE = repoPath('rig', 'guest', 'freeze-helper.c');

/** argv for musl-gcc: static, warnings on, optional kernel header dir. Pure. */
export function helperCompileArgs(out: string, includeDir?: string): string[] {
  return ['-static', '-O2', '-Wall', '-Wextra', '-Werror', ...(includeDir ? ['-I', includeDir] : []), '-o', out, HELPER_SOURCE];
}

/**
 * Builds the static guest helper into outDir, reusing it when the source and
 * headers are unchanged (the name carries their hash).
 */
export async function buildHelper(outDir: string, includeDir?: string): Promise<string> {
  const src = await readFile(HELPER_SOURCE);
  const key = sha256(Buffer.concat([src, Buffer.from(includeDir ?? '')])).slice(0, 16);
  const out = join(outDir, `freeze-helper-${key}`);
  if (await stat(out).then(() => true, () => false)) return out;
  await mkdir(outDir, { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  const r = await execa('musl-gcc', helperCompileArgs(tmp, includeDir), { reject: false, all: true });
  if ((r as { code?: string }).code === 'ENOENT') {
    throw infraError('musl-gcc is not installed', { hint: 'apt-get install musl-tools (or run: freeze-rig doctor)' });
  }
  if (r.exitCode !== 0) throw infraError('the guest helper does not compile', { details: (r.all ?? '').split('\n').slice(0, 20) });
  await execa('mv', [tmp, out]);
  return out;
}
