import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { execa } from 'execa';
import { inputError, infraError } from '../errors.ts';
import type { CacheLayout } from '../paths.ts';
import { progress, mib } from '../util/progress.ts';
import { describeMismatch, storeVerifiedTar, type CachedSource } from './cache.ts';
import { openPlainTar } from './tar-scan.ts';
import { LINUX_2_6_27, versionFromMakefile } from './linux-2.6.27.ts';

export type ImportInput = { kind: 'tarball'; path: string } | { kind: 'git'; path: string; ref: string };

/** What the user pointed at: a tarball file or a git repository (bare or not). */
export async function classifyImportPath(path: string, ref: string | undefined): Promise<ImportInput> {
  const abs = resolve(path);
  const st = await stat(abs).catch(() => undefined);
  if (!st) throw inputError(`${path}: no such file or directory`, { hint: 'give a tarball (.tar, .tar.gz, .tar.xz, .tar.bz2) or a git repository' });
  if (st.isFile()) {
    if (ref) throw inputError('--ref applies to a git repository, not to a tarball');
    return { kind: 'tarball', path: abs };
  }
  const git = await execa('git', ['-C', abs, 'rev-parse', '--git-dir'], { reject: false });
  if (git.exitCode !== 0) {
    throw inputError(`${path} is a directory but not a git repository`, {
      hint: 'give a tarball, or a git repository that has the tag v2.6.27 (a plain directory cannot be verified cheaply)',
    });
  }
  return { kind: 'git', path: abs, ref: ref ?? `v${LINUX_2_6_27.version}` };
}

export async function importSource(layout: CacheLayout, input: ImportInput): Promise<CachedSource> {
  return input.kind === 'git' ? importGit(layout, input.path, input.ref) : importTarball(layout, input.path, input.path);
}

export async function importTarball(layout: CacheLayout, file: string, origin: string): Promise<CachedSource> {
  const { stream, format } = await openPlainTar(file);
  const p = progress(`verifying ${format} ${file}`);
  const src = await storeVerifiedTar(layout, stream, origin, (n) => p.update(mib(n)));
  p.done(`tree ${src.treeId} verified (${src.files} files)`);
  return src;
}

async function importGit(layout: CacheLayout, repo: string, ref: string): Promise<CachedSource> {
  const git = (...args: string[]) => execa('git', ['-C', repo, ...args], { reject: false });
  const tree = await git('rev-parse', '--verify', '--quiet', `${ref}^{tree}`);
  if (tree.exitCode !== 0) {
    throw inputError(`${repo}: ${ref} is not a commit or tag there`, {
      hint: `fetch the tag (git -C ${repo} fetch origin tag v${LINUX_2_6_27.version}) or pass --ref`,
    });
  }
  const treeId = tree.stdout.trim();
  if (treeId !== LINUX_2_6_27.treeId) {
    // Cheap refusal from git's own ids, before archiving 300 MB.
    const mk = await git('show', `${ref}:Makefile`);
    const files = await git('ls-tree', '-r', '--name-only', ref);
    const described = (await git('describe', '--tags', '--always', ref)).stdout.trim();
    throw inputError(
      describeMismatch(
        {
          treeId,
          files: files.exitCode === 0 ? files.stdout.split('\n').filter(Boolean).length : 0,
          version: mk.exitCode === 0 ? versionFromMakefile(mk.stdout) : undefined,
        },
        `${repo} at ${ref} (${described})`,
      ),
      { hint: `use the tag of the release: --ref v${LINUX_2_6_27.version}` },
    );
  }
  const archive = execa('git', ['-C', repo, 'archive', '--format=tar', ref], { buffer: false, stdout: 'pipe' });
  const p = progress(`importing ${repo} ${ref}`);
  try {
    const src = await storeVerifiedTar(layout, archive.stdout, `${repo} ${ref}`, (n) => p.update(mib(n)));
    await archive;
    p.done(`tree ${src.treeId} verified (${src.files} files)`);
    return src;
  } catch (e) {
    archive.kill();
    if (e instanceof Error && 'exitCode' in e) throw infraError(`git archive failed in ${repo}`, { cause: e });
    throw e;
  }
}
