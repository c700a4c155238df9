import { describe, expect, it } from 'vitest';
import { makeLineWithoutDir, pickSeed, touchesKconfig, type SeedRecord } from '../../src/kbuild/seed.ts';
import type { LoadedPatch } from '../../src/tree/series.ts';

const make = (dir: string) => ['-C', dir, '-f', '../linux/Makefile', 'KBUILD_SRC=../linux', 'bzImage'];
const rec = (revision: string, keys: string[], over: Partial<SeedRecord> = {}): SeedRecord => ({
  revision,
  kernel: { treeId: 't' },
  config: { hash: 'c' },
  toolchain: { gcc: '12' },
  make: make(`/c/trees/${revision}/build-c`),
  tree: { dir: `/c/trees/${revision}/linux`, patches: keys.map((key) => ({ key })) },
  outDir: `/c/trees/${revision}/build-c`,
  startedAt: '2026-12-01T00:00:00.000Z',
  ...over,
});
const want = { treeId: 't', configHash: 'c', toolchain: { gcc: '12' }, make: makeLineWithoutDir(make('/c/trees/fixture/build-c')), patches: ['compat/1', 'v2/1', 'v2/2', 'fixture/1'], extractedAt: 1000 };

describe('seeding a fresh build dir', () => {
  it('takes the build whose patches are the longest prefix, finished before the tree was extracted', () => {
    const baseline = rec('baseline', ['compat/1']);
    const v2 = rec('generic-v2', ['compat/1', 'v2/1', 'v2/2']);
    expect(pickSeed([{ record: baseline, finishedAt: 10 }, { record: v2, finishedAt: 20 }], want)).toBe(v2);
    // finished after the extraction: files the tree patched may be older than its objects
    expect(pickSeed([{ record: baseline, finishedAt: 10 }, { record: v2, finishedAt: 1000 }], want)).toBe(baseline);
  });

  it('refuses a build that is not a prefix, or differs in source, config, toolchain or make line', () => {
    const ok = { finishedAt: 10 };
    for (const bad of [
      rec('ext3-v1', ['compat/1', 'e1/1']),
      rec('longer', [...want.patches, 'more/1']),
      rec('other-source', ['compat/1'], { kernel: { treeId: 'u' } }),
      rec('other-config', ['compat/1'], { config: { hash: 'd' } }),
      rec('other-gcc', ['compat/1'], { toolchain: { gcc: '13' } }),
      rec('other-make', ['compat/1'], { make: [...make('/x'), 'V=1'] }),
    ])
      expect(pickSeed([{ ...ok, record: bad }], want), bad.revision).toBeUndefined();
  });

  it('leaves the build dir out of the make line it compares', () => {
    expect(makeLineWithoutDir(make('/a'))).toEqual(makeLineWithoutDir(make('/b')));
  });

  it('sees a further patch that touches a Kconfig file (the seed.config was verified against the old one)', () => {
    const p = (name: string, file: string): LoadedPatch => ({ name, layer: 'r', strip: 1, file: name, sha256: name, text: `--- a/${file}\n+++ b/${file}\n@@ -1 +1 @@\n-a\n+b\n` });
    const stack = [p('1', 'fs/ioctl.c'), p('2', 'fs/Kconfig'), p('3', 'fs/ext3/super.c')];
    expect(touchesKconfig(stack, 2)).toBe(false);
    expect(touchesKconfig(stack, 1)).toBe(true);
  });
});
