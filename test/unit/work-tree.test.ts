import { describe, expect, it } from 'vitest';
import { readFile, writeFile, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { prepareWorkTree } from '../../src/tree/work-tree.ts';
import { cacheLayout } from '../../src/paths.ts';
import type { CachedSource } from '../../src/source/cache.ts';
import type { LoadedPatch } from '../../src/tree/series.ts';
import { RigError } from '../../src/errors.ts';
import { rawTar } from '../helpers/raw-tar.ts';
import { useTmp } from '../helpers/tmp.ts';

const original = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';

function patchFor(name: string, layer: string, from: string, to: string): LoadedPatch {
  const n = Number(from.split(' ')[1]);
  const before = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);
  const ctx = (a: number, b: number) => before.slice(a - 1, b).map((l) => ` ${l}`);
  const text = [`--- a/f.txt`, `+++ b/f.txt`, `@@ -${n - 3},7 +${n - 3},7 @@`, ...ctx(n - 3, n - 1), `-${from}`, `+${to}`, ...ctx(n + 1, n + 3), ''].join('\n');
  return { name, layer, strip: 1, file: `/series/${name}`, text, sha256: createHash('sha256').update(text).digest('hex') };
}

async function fakeSource(dir: string): Promise<CachedSource> {
  const tarball = join(dir, 'src.tar');
  await writeFile(tarball, rawTar([{ path: 'k/f.txt', data: original }, { path: 'k/g.txt', data: 'untouched\n' }]));
  return { treeId: 'f'.repeat(40), version: 'test', prefix: 'k', files: 2, bytes: 0, origin: 'test', importedAt: '', tarball };
}

describe('work trees', () => {
  const tmp = useTmp();

  it('extracts, reuses when unchanged, and pops only what changed', async () => {
    const root = await tmp();
    const layout = cacheLayout(root);
    const source = await fakeSource(root);
    const p1 = patchFor('0001-a.patch', 'compat', 'line 5', 'LINE 5');
    const p2 = patchFor('0002-b.patch', 'rev', 'line 20', 'LINE 20');
    const t1 = await prepareWorkTree({ layout, source, revision: 'rev', patches: [p1, p2] });
    expect(t1.action).toBe('extracted');
    expect(await readFile(join(t1.dir, 'f.txt'), 'utf8')).toContain('LINE 5\n');
    const gBefore = (await stat(join(t1.dir, 'g.txt'))).mtimeMs;

    const t2 = await prepareWorkTree({ layout, source, revision: 'rev', patches: [p1, p2] });
    expect(t2).toMatchObject({ action: 'reused', popped: 0, pushed: 0, instance: t1.instance });

    const p2b = patchFor('0002-b.patch', 'rev', 'line 20', 'LINE twenty');
    const t3 = await prepareWorkTree({ layout, source, revision: 'rev', patches: [p1, p2b] });
    expect(t3).toMatchObject({ action: 'updated', popped: 1, pushed: 1, instance: t1.instance });
    const text = await readFile(join(t3.dir, 'f.txt'), 'utf8');
    expect(text).toContain('LINE twenty\n');
    expect(text).not.toContain('LINE 20\n');
    expect(text).toContain('LINE 5\n');
    // untouched files keep their mtime: the build stays incremental
    expect((await stat(join(t3.dir, 'g.txt'))).mtimeMs).toBe(gBefore);
  });

  it('gives a file that a pop and a push left as it was its old mtime back, so make recompiles only the edit', async () => {
    const root = await tmp();
    const layout = cacheLayout(root);
    const source = await fakeSource(root);
    const text = '--- a/g.txt\n+++ b/g.txt\n@@ -1 +1 @@\n-untouched\n+touched\n';
    const onG: LoadedPatch = { name: '0002-g.patch', layer: 'rev', strip: 1, file: '/series/0002-g.patch', text, sha256: createHash('sha256').update(text).digest('hex') };
    const t1 = await prepareWorkTree({ layout, source, revision: 'rev', patches: [patchFor('0001-f.patch', 'rev', 'line 5', 'LINE 5'), onG] });
    const past = new Date(Date.now() - 3600_000);
    for (const f of ['f.txt', 'g.txt']) await utimes(join(t1.dir, f), past, past);
    // the first patch changes: the second is popped and pushed again onto g.txt, unchanged
    const t2 = await prepareWorkTree({ layout, source, revision: 'rev', patches: [patchFor('0001-f.patch', 'rev', 'line 5', 'LINE five'), onG] });
    expect(t2).toMatchObject({ action: 'updated', popped: 2, pushed: 2 });
    expect(await readFile(join(t2.dir, 'g.txt'), 'utf8')).toBe('touched\n');
    expect((await stat(join(t2.dir, 'g.txt'))).mtimeMs).toBeCloseTo(past.getTime(), 0);
    // what the edit changed is newer than anything built before it
    expect((await stat(join(t2.dir, 'f.txt'))).mtimeMs).toBeGreaterThan(past.getTime());
  });

  it('lets two runs prepare the same tree at once: one extracts, the other waits and reuses', async () => {
    const root = await tmp();
    const layout = cacheLayout(root);
    const source = await fakeSource(root);
    const p1 = patchFor('0001-a.patch', 'compat', 'line 5', 'LINE 5');
    const [a, b] = await Promise.all([
      prepareWorkTree({ layout, source, revision: 'r', patches: [p1] }),
      prepareWorkTree({ layout, source, revision: 'r', patches: [p1] }),
    ]);
    expect([a.action, b.action].sort()).toEqual(['extracted', 'reused']);
    expect(a.instance).toBe(b.instance);
    expect(await readFile(join(a.dir, 'f.txt'), 'utf8')).toContain('LINE 5\n');
  });

  it('never reuses an interrupted preparation', async () => {
    const root = await tmp();
    const layout = cacheLayout(root);
    const source = await fakeSource(root);
    const p1 = patchFor('0001-a.patch', 'compat', 'line 5', 'LINE 5');
    const t1 = await prepareWorkTree({ layout, source, revision: 'r', patches: [p1] });
    const stateFile = join(t1.dir, '..', 'state.json');
    const state = JSON.parse(await readFile(stateFile, 'utf8'));
    await writeFile(stateFile, JSON.stringify({ ...state, status: 'busy' }));
    const t2 = await prepareWorkTree({ layout, source, revision: 'r', patches: [p1] });
    expect(t2.action).toBe('extracted');
    expect(t2.instance).not.toBe(t1.instance);
  });

  it('names the patch and the hunk that does not apply, and leaves the tree consistent', async () => {
    const root = await tmp();
    const layout = cacheLayout(root);
    const source = await fakeSource(root);
    const good = patchFor('0001-a.patch', 'compat', 'line 5', 'LINE 5');
    const bad = patchFor('0002-bad.patch', 'generic-v2', 'line 20', 'LINE 20');
    // the line it removes is not in the tree: no fuzz can save it
    bad.text = bad.text.replace('-line 20\n', '-line twenty\n');
    const err = await prepareWorkTree({ layout, source, revision: 'r', patches: [good, bad] }).catch((e) => e);
    expect(err).toBeInstanceOf(RigError);
    expect(err.kind).toBe('expectation');
    expect(err.message).toMatch(/generic-v2\/0002-bad.patch does not apply/);
    expect(err.details.join('\n')).toMatch(/hunk #1 of f.txt FAILED at line 17/);
    expect(err.details.join('\n')).toContain('-line twenty');
    // the good patch stays applied and recorded; the next run continues from there
    const again = await prepareWorkTree({ layout, source, revision: 'r', patches: [good] });
    expect(again).toMatchObject({ action: 'reused', popped: 0, pushed: 0 });
  });

  it('applies with fuzz but records it as a finding', async () => {
    const root = await tmp();
    const layout = cacheLayout(root);
    const source = await fakeSource(root);
    const fuzzy = patchFor('0001-fuzzy.patch', 'rev', 'line 20', 'LINE 20');
    fuzzy.text = fuzzy.text.replace(' line 17\n', ' line seventeen\n');
    const t = await prepareWorkTree({ layout, source, revision: 'r', patches: [fuzzy] });
    expect(t.applied[0]!.fuzz).toEqual([expect.objectContaining({ file: 'f.txt', hunk: 1, fuzz: 1 })]);
  });

  it('refuses a patch that writes outside the tree', async () => {
    const root = await tmp();
    const layout = cacheLayout(root);
    const source = await fakeSource(root);
    const evil = { ...patchFor('0001-evil.patch', 'rev', 'line 5', 'x') };
    evil.text = evil.text.replace('--- a/f.txt', '--- a/../../etc/x').replace('+++ b/f.txt', '+++ b/../../etc/x');
    await expect(prepareWorkTree({ layout, source, revision: 'r', patches: [evil] })).rejects.toThrow(/writes outside the kernel tree/);
  });
});

describe('the extraction and ccache command lines', () => {
  it('extracts with GNU tar, stripping the tarball\'s top directory', async () => {
    const { tarExtractArgs } = await import('../../src/tree/work-tree.ts');
    expect(tarExtractArgs({ tarball: '/c/linux.tar', prefix: '' }, '/t')).toEqual(['-xf', '/c/linux.tar', '-C', '/t']);
    expect(tarExtractArgs({ tarball: '/c/linux.tar', prefix: 'linux-2.6.27' }, '/t')).toEqual(['-xf', '/c/linux.tar', '-C', '/t', '--strip-components=1']);
  });

  it('shares one ccache across work trees, in depend mode, with a stats log per build', async () => {
    const { CCACHE_ENV } = await import('../../src/kbuild/ccache.ts');
    expect(CCACHE_ENV('/cache', '/cache/trees/k/build-1/ccache-stats.log')).toMatchObject({
      CCACHE_BASEDIR: '/cache',
      CCACHE_NOHASHDIR: '1',
      CCACHE_DEPEND: '1',
      CCACHE_STATSLOG: '/cache/trees/k/build-1/ccache-stats.log',
    });
  });

  it('puts every build dir at the same place beside its tree, so compile lines match across revisions', async () => {
    const { buildDirFor } = await import('../../src/kbuild/build-kernel.ts');
    const { relative } = await import('node:path');
    for (const rev of ['baseline', 'generic-v2']) {
      const home = `/c/trees/a3fc1f3d3ed0-${rev}`;
      expect(relative(buildDirFor({ home }, 'f'.repeat(64)), `${home}/linux/include`)).toBe('../linux/include');
    }
  });

  it("reads an object's inputs from kbuild's .cmd file, without the config wildcards", async () => {
    const { parseCmdDeps } = await import('../../src/kbuild/kbuild-deps.ts');
    const cmd = [
      'cmd_fs/ext3/xattr.o := ccache gcc -c -o fs/ext3/xattr.o ../linux/fs/ext3/xattr.c',
      '',
      'deps_fs/ext3/xattr.o := \\',
      '  ../linux/fs/ext3/xattr.c \\',
      '    $(wildcard include/config/ext3/fs/xattr.h) \\',
      '  ../linux/fs/ext3/xattr.h \\',
      '  include/linux/autoconf.h \\',
      '',
      'fs/ext3/xattr.o: $(deps_fs/ext3/xattr.o)',
    ].join('\n');
    expect(parseCmdDeps(cmd)).toEqual({ target: 'fs/ext3/xattr.o', deps: ['../linux/fs/ext3/xattr.c', '../linux/fs/ext3/xattr.h', 'include/linux/autoconf.h'] });
    expect(parseCmdDeps('cmd_vmlinux := ld -o vmlinux')).toBeUndefined();
  });

  it("reads ccache's stats log: hits, misses with their sources, and calls it cannot cache", async () => {
    const { parseStatsLog, cacheLine } = await import('../../src/kbuild/ccache.ts');
    const log = [
      '# ../linux/init/main.c', 'direct_cache_hit', 'local_storage_hit',
      '# ../linux/fs/ioctl.c', 'cache_miss', 'direct_cache_miss', 'local_storage_write',
      '# ../linux/kernel/fork.c', 'preprocessed_cache_hit',
      '# vmlinux.o', 'called_for_link',
      '# /dev/null', 'cache_miss', '',
    ].join('\n');
    const use = parseStatsLog(log);
    expect(use).toEqual({ hits: 2, misses: 1, uncacheable: 1, compiled: ['../linux/fs/ioctl.c'] });
    expect(cacheLine(use)).toBe('3 units: 2 from cache, 1 compiled');
  });
});
