import { mkdtemp, mkdir, rm, writeFile, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { upToDate, type BuildRecord } from '../../src/kbuild/build-kernel.ts';
import { sha256File } from '../../src/util/files.ts';
import type { WorkTree } from '../../src/tree/work-tree.ts';

// A tree and a build dir on disk, as small as the check needs.
let root: string;
let tree: WorkTree;
let record: BuildRecord;
const current = { toolchain: { gcc: '12.2.0' }, make: ['-C', 'linux', 'CC=ccache gcc -fno-pie', 'KCONFIG_NOTIMESTAMP=1', 'bzImage'] };

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'freeze-rig-uptodate-'));
  const dir = join(root, 'linux');
  const out = join(root, 'build');
  await mkdir(join(dir, 'fs'), { recursive: true });
  await mkdir(out);
  await writeFile(join(dir, 'fs', 'ioctl.c'), 'int x;\n');
  const past = new Date(Date.now() - 60_000);
  for (const p of [join(dir, 'fs', 'ioctl.c'), join(dir, 'fs'), dir]) await utimes(p, past, past);
  await writeFile(join(out, '.config'), 'CONFIG_XFS_FS=y\n');
  await writeFile(join(out, 'bzImage'), 'kernel');
  tree = { dir, key: 'k', instance: 'i1', revision: 'r', applied: [], action: 'reused', popped: 0, pushed: 0 } as unknown as WorkTree;
  record = {
    tree: { dir, instance: 'i1', action: 'extracted', patches: [] },
    toolchain: { gcc: '12.2.0' },
    compiler: { cc: 'ccache gcc', flags: ['-fno-pie'] },
    make: ['-C', 'linux', 'CC=ccache gcc -fno-pie', 'KCONFIG_NOTIMESTAMP=1', 'bzImage'],
    config: { fragments: [], hash: 'h', sha256: await sha256File(join(out, '.config')), reconfigured: true },
    startedAt: new Date(Date.now() - 30_000).toISOString(),
    outDir: out,
    artifacts: [{ name: 'bzImage', path: join(out, 'bzImage'), bytes: 6, sha256: await sha256File(join(out, 'bzImage')) }],
  } as unknown as BuildRecord;
});

afterEach(() => rm(root, { recursive: true, force: true }));

describe('a build that make need not redo', () => {
  it('is up to date when nothing changed since', async () => {
    expect(await upToDate(record, tree, current)).toBe(true);
  });

  it('is not when a file of the tree was edited, or one removed, after that build started', async () => {
    await writeFile(join(tree.dir, 'fs', 'ioctl.c'), 'int y;\n');
    expect(await upToDate(record, tree, current)).toBe(false);
    const past = new Date(Date.now() - 60_000);
    await utimes(join(tree.dir, 'fs', 'ioctl.c'), past, past);
    expect(await upToDate(record, tree, current)).toBe(true);
    await rm(join(tree.dir, 'fs', 'ioctl.c'));
    expect(await upToDate(record, tree, current)).toBe(false);
  });

  it('is not when the tree was re-patched, re-extracted, or the .config, compiler, make command line or an artifact differ', async () => {
    expect(await upToDate(record, { ...tree, action: 'updated' }, current)).toBe(false);
    expect(await upToDate(record, { ...tree, instance: 'i2' }, current)).toBe(false);
    expect(await upToDate(record, tree, { ...current, toolchain: { gcc: '13.1.0' } })).toBe(false);
    expect(await upToDate(record, tree, { ...current, make: ['-C', 'linux', 'CC=ccache gcc', 'KCONFIG_NOTIMESTAMP=1', 'bzImage'] })).toBe(false);
    expect(await upToDate(record, tree, { ...current, make: ['-C', 'linux', 'CC=ccache gcc -fno-pie', 'KCONFIG_NOTIMESTAMP=1', 'vmlinux'] })).toBe(false);
    expect(await upToDate(record, tree, { ...current, make: ['-C', 'linux', 'CC=ccache gcc -fno-pie', 'bzImage'] })).toBe(false);
    expect(await upToDate({ ...record, make: undefined }, tree, current)).toBe(false);
    await writeFile(join(record.outDir, 'bzImage'), 'another kernel');
    expect(await upToDate(record, tree, current)).toBe(false);
  });

  it('is not when the .config was changed by hand', async () => {
    await writeFile(join(record.outDir, '.config'), 'CONFIG_XFS_FS=n\n');
    expect(await upToDate(record, tree, current)).toBe(false);
  });
});
