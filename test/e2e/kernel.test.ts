/**
 * End to end on the real thing: Linux 2.6.27 from the rig's cache, built by
 * the rig with Debian's gcc 12, booted in real QEMU. No mocks.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { createReadStream } from 'node:fs';
import { createServer } from 'node:http';
import { fetchSource } from '../../src/source/ensure.ts';
import { cacheLayout, repoPath } from '../../src/paths.ts';
import { readCachedSource } from '../../src/source/cache.ts';
import { LINUX_2_6_27 } from '../../src/source/linux-2.6.27.ts';
import { buildRevision } from '../../src/pipeline/build-revision.ts';
import { bootSmoke } from '../../src/pipeline/boot-smoke.ts';
import { loadRevision } from '../../src/pipeline/revision.ts';
import { prepareWorkTree, type WorkTree } from '../../src/tree/work-tree.ts';
import { configureKernel } from '../../src/config/configure.ts';
import { loadFragment } from '../../src/config/fragments.ts';
import { makeArgs } from '../../src/config/make-command.ts';
import { RigError } from '../../src/errors.ts';
import type { BuildRecord } from '../../src/kbuild/build-kernel.ts';
import { unitsIncluding } from '../../src/kbuild/kbuild-deps.ts';
import { liveCount } from '../../src/vm/processes.ts';
import { CCACHE_ENV } from '../../src/kbuild/ccache.ts';
import { artifact } from '../../src/util/files.ts';

const layout = cacheLayout();
const source = await readCachedSource(layout, LINUX_2_6_27.treeId);
if (!source) {
  console.warn(
    `\n*** END-TO-END TESTS SKIPPED: Linux ${LINUX_2_6_27.version} is not in the rig cache (${layout.sources}). ` +
      `Get it with: npm run freeze-rig -- source fetch   or   npm run freeze-rig -- source import <tarball | git tree at v${LINUX_2_6_27.version}> ***\n`,
  );
}

describe.skipIf(!source)(`Linux ${LINUX_2_6_27.version} + compat, built and booted for real`, () => {
  let record: BuildRecord;
  let tree: WorkTree;

  beforeAll(async () => {
    record = await buildRevision({ layout, revision: 'baseline' });
    const stack = await loadRevision('baseline');
    tree = await prepareWorkTree({ layout, source: source!, revision: stack.name, patches: stack.patches });
  }, 900_000);

  it('builds a bzImage with Debian 12 gcc and records how', async () => {
    const bz = record.artifacts.find((a) => a.name === 'bzImage')!;
    expect(bz.bytes).toBeGreaterThan(500_000);
    expect(bz.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(record.kernel.treeId).toBe(LINUX_2_6_27.treeId);
    expect(record.toolchain.gcc).toMatch(/gcc.* 12\./);
    expect(record.reproducer).toContain('KBUILD_SRC=../linux');
    // baseline is the rig's own layers alone (compat, then instrument), every patch of their series files applied
    const layer = async (name: string) => (await readFile(repoPath('patches', name, 'series'), 'utf8')).split('\n').filter((l) => l.trim() && !l.startsWith('#')).map((n) => `${name}/${n}`);
    expect(record.tree.patches.map((p) => `${p.layer}/${p.name}`)).toEqual([...(await layer('compat')), ...(await layer('instrument'))]);
  });

  it('boots under QEMU far enough for the static /init to print the kernel version', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'freeze-rig-e2e-'));
    try {
      const smoke = await bootSmoke(layout, record, join(dir, 'run'));
      expect(smoke.release).toBe(LINUX_2_6_27.version);
      const console = await readFile(smoke.console, 'utf8');
      expect(console).toMatch(/^Linux version 2\.6\.27 .*gcc version 12\./m);
      expect(liveCount()).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('rebuilds incrementally: nothing changed, make not run; a file of the tree touched, (almost) nothing compiled', async () => {
    const again = await buildRevision({ layout, revision: 'baseline' });
    expect(again.upToDate).toBe(true);
    expect(again.tree.action).toBe('reused');
    expect(again.artifacts).toEqual(record.artifacts);
    // a hand edit in the work tree is built
    const now = new Date();
    await utimes(join(tree.dir, 'README'), now, now);
    const touched = await buildRevision({ layout, revision: 'baseline' });
    expect(touched.upToDate).toBeUndefined();
    const log = await readFile(touched.log, 'utf8');
    const compiled = log.split('\n').filter((l) => /^ {2}CC {6}/.test(l));
    // kbuild always recompiles the two version.o (the build number); nothing else
    expect(compiled.filter((l) => !/(init|arch\/x86\/boot)\/version\.o$/.test(l))).toEqual([]);
    expect((await buildRevision({ layout, revision: 'baseline' })).upToDate).toBe(true);
  }, 300_000);

  it('keeps knowing every warning of the tree across a build that fails (the next build is incremental, not afresh)', async () => {
    const before = await buildRevision({ layout, revision: 'baseline' });
    expect(before.warningsComplete).toBe(true);
    const file = join(tree.dir, 'fs', 'ioctl.c');
    const text = await readFile(file, 'utf8');
    try {
      await writeFile(file, `${text}\n#error freeze-rig: a unit that does not compile\n`);
      const failed = await buildRevision({ layout, revision: 'baseline' }).catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(RigError);
      expect((failed as RigError).message).toMatch(/kernel build of baseline failed/);
    } finally {
      await writeFile(file, text);
    }
    const after = await buildRevision({ layout, revision: 'baseline' });
    const compiled = (await readFile(after.log, 'utf8')).split('\n').filter((l) => /^ {2}CC {6}/.test(l));
    expect(compiled.length).toBeLessThan(10);
    expect(after.warningsComplete).toBe(true);
    // the same set; the recompiled unit's own warnings are now listed last
    const key = (ws: BuildRecord['warnings']) => ws.map((w) => `${w.file}:${w.line}:${w.column}: ${w.message}`).sort();
    expect(key(after.warnings)).toEqual(key(before.warnings));
  }, 300_000);

  it('builds reproducibly: the same bzImage in a second, fresh build dir (user, host, time and build number pinned; compat 0013-0015)', async () => {
    const again = await buildRevision({ layout, revision: 'baseline' });
    // a sibling of the tree, as the rig's own build dirs are (KBUILD_SRC=../linux)
    const dir = join(tree.home, `build-repro-${randomUUID().slice(0, 8)}`);
    try {
      await mkdir(dir);
      await writeFile(join(dir, '.config'), await readFile(join(again.outDir, '.config')));
      const argv = makeArgs({ srcDir: tree.dir, outDir: dir, targets: ['bzImage'], jobs: 2, ccache: again.ccache });
      const r = await execa('make', argv, { reject: false, all: true, env: again.ccache ? CCACHE_ENV(layout.root, join(dir, 'stats.log')) : {} });
      expect(r.exitCode, r.all?.slice(-2000)).toBe(0);
      const bz = again.artifacts.find((a) => a.name === 'bzImage')!;
      expect((await artifact('bzImage', join(dir, 'arch/x86/boot/bzImage'))).sha256).toBe(bz.sha256);
      // the reproducer was written before make started, and says how
      expect(await readFile(join(again.outDir, 'reproducer.sh'), 'utf8')).toMatch(/^#!\/bin\/sh\n(# .*\n)+set -e\nexec env .*make -C \S+ .*KBUILD_BUILD_USER=freeze-rig KBUILD_BUILD_HOST=freeze-rig/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it("serves another revision's unchanged units (its build dir, ccache), and compiles every unit that includes a header it changed", async () => {
    // baseline plus one comment of fs/ext3/xattr.h, new on every run: no cache
    // entry can exist for the units that include it, so each must compile
    const dir = await mkdtemp(join(tmpdir(), 'freeze-rig-hdr-rev-'));
    const series = join(dir, 'header-edit');
    const patch = [
      'Subject: [PATCH] ext3: a comment of xattr.h changes',
      '',
      '---',
      '--- a/fs/ext3/xattr.h',
      '+++ b/fs/ext3/xattr.h',
      '@@ -1,4 +1,4 @@',
      ' /*',
      '-  File: fs/ext3/xattr.h',
      `+  File: fs/ext3/xattr.h (${randomUUID()})`,
      ' ',
      '   On-disk format of extended attributes for the ext3 filesystem.',
      '',
    ].join('\n');
    try {
      await mkdir(series);
      await writeFile(join(series, 'series'), '0001-xattr-comment.patch\n');
      await writeFile(join(series, '0001-xattr-comment.patch'), patch);
      await writeFile(join(series, 'manifest.json'), JSON.stringify({ revision: 'header-edit', summary: 'baseline, one header comment changed', extends: 'baseline' }));
      // a fresh work tree and build dir, as a new revision gets: every compile line runs
      await rm(join(layout.trees, `${source!.treeId.slice(0, 12)}-header-edit`), { recursive: true, force: true });
      const b = await buildRevision({ layout, revision: series });
      expect(b.tree.action).toBe('extracted');
      // the new tree's build dir starts from baseline's build (its patches are a prefix)
      expect(b.seededFrom).toBe('baseline');
      expect(b.warningsComplete).toBe(true);
      expect(b.cache).toBeDefined();
      const dependents = await unitsIncluding(b.outDir, b.tree.dir, ['fs/ext3/xattr.h']);
      expect(dependents.length).toBeGreaterThanOrEqual(3);
      expect(dependents.every((u) => u.startsWith('fs/ext3/'))).toBe(true);
      // never an object of baseline's header for them
      expect(b.cache!.compiled).toEqual(expect.arrayContaining(dependents));
      // and every other C unit from baseline's entries, but those that differ in every build: the two
      // version.c (they embed the build number and time) and consolemap_deftbl.c (generated into the
      // build dir, it names its input by the tree's absolute path)
      const always = ['init/version.c', 'arch/x86/boot/version.c', 'drivers/char/consolemap_deftbl.c'];
      const others = b.cache!.compiled.filter((f) => f.endsWith('.c') && !dependents.includes(f));
      expect([...new Set(others)].filter((f) => !always.includes(f))).toEqual([]);
      // the files compat and the instrument layer patched keep baseline's mtimes (same bytes, older
      // than its build), so make reran no unit for them (compat's uaccess_64.h alone is in ~440)
      expect(b.cache!.hits + b.cache!.misses, `${b.cache!.hits} from cache`).toBeLessThan(dependents.length + 20);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(join(layout.trees, `${source!.treeId.slice(0, 12)}-header-edit`), { recursive: true, force: true });
    }
  }, 600_000);

  it('installs its headers (make headers_install: the compat unifdef fix)', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'freeze-rig-hdr-'));
    try {
      await execa('make', makeArgs({ srcDir: tree.dir, outDir: record.outDir, targets: ['headers_install'], vars: { INSTALL_HDR_PATH: dest } }));
      expect((await stat(join(dest, 'include/linux/fs.h'))).size).toBeGreaterThan(1000);
    } finally {
      await rm(dest, { recursive: true, force: true });
    }
  }, 300_000);

  it("runs the tree's own checkpatch.pl (the compat perl fixes), also on a patch that defines functions", async () => {
    // A patch with function definitions reaches checkpatch.pl line 1483, whose
    // regex is only compiled at run time (perl -c cannot see it).
    for (const patch of ['patches/compat/0003-timeconst.pl-defined-array-is-fatal-in-perl-5.22.patch', 'patches/series/generic-v2/0001-vfs-add-FIFREEZE-and-FITHAW-ioctls.patch']) {
      const r = await execa('perl', [join(tree.dir, 'scripts/checkpatch.pl'), '--no-tree', repoPath(patch)], { reject: false, all: true });
      expect(r.all).toMatch(/total: \d+ errors, \d+ warnings/);
      expect(r.all).not.toMatch(/Unescaped left brace/);
    }
  }, 60_000);

  it('names the missing dependency of a config symbol that did not stick', async () => {
    const out = await mkdtemp(join(tmpdir(), 'freeze-rig-cfg-'));
    try {
      const frag = await loadFragment(repoPath('test/fixtures/config/virtio-without-blk-dev.config'));
      const err = await configureKernel(tree, out, [frag], () => {}).catch((e) => e);
      expect(err).toBeInstanceOf(RigError);
      expect(err.details.join('\n')).toMatch(/CONFIG_VIRTIO_BLK: asked y, got n; it needs CONFIG_BLK_DEV, which is off/);
      expect(err.stage).toBe('config');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 120_000);

  it('source fetch downloads from a mirror (loopback HTTP), verifies the tree id and caches it', async () => {
    const cache = await mkdtemp(join(tmpdir(), 'freeze-rig-cache-'));
    const server = createServer((_req, res) => {
      res.writeHead(200);
      createReadStream(source!.tarball).pipe(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const got = await fetchSource(cacheLayout(cache), `http://127.0.0.1:${port}/pub/linux-2.6.27.tar`);
      expect(got.treeId).toBe(LINUX_2_6_27.treeId);
      expect(got.files).toBe(LINUX_2_6_27.files);
      expect(got.tarball.startsWith(cache)).toBe(true);
    } finally {
      server.close();
      await rm(cache, { recursive: true, force: true });
    }
  }, 300_000);

  it('reports a patch that does not apply by patch and hunk', async () => {
    const err = await buildRevision({ layout, revision: repoPath('test/fixtures/series/broken-hunk') }).catch((e) => e);
    expect(err).toBeInstanceOf(RigError);
    expect(err.exitCode).toBe(1);
    expect(err.message).toMatch(/broken-hunk\/0001-fs-ioctl-freeze-against-a-tree-that-never-was.patch does not apply/);
    expect(err.details.join('\n')).toMatch(/hunk #2 of fs\/ioctl.c FAILED/);
  }, 300_000);
});
