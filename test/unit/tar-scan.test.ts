import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { commonTopDir, detectTarFormat, openPlainTar, scanTar } from '../../src/source/tar-scan.ts';
import { blobId, treeId } from '../../src/source/tree-id.ts';
import { rawTar } from '../helpers/raw-tar.ts';
import { useTmp } from '../helpers/tmp.ts';

const scan = (buf: Buffer) => scanTar(Readable.from([buf]));

describe('scanning a tarball', () => {
  const tmp = useTmp();

  it('strips the common top directory and finds the kernel version', async () => {
    const mk = 'VERSION = 2\nPATCHLEVEL = 6\nSUBLEVEL = 27\nEXTRAVERSION =\nNAME = Rotary Wombat\n';
    const r = await scan(
      rawTar([
        { path: 'linux-2.6.27/', type: '5' },
        { path: 'linux-2.6.27/Makefile', data: mk },
        { path: 'linux-2.6.27/scripts/setlocalversion', data: '#!/bin/sh\n', mode: 0o755 },
      ]),
    );
    expect(r.prefix).toBe('linux-2.6.27');
    expect(r.version).toBe('2.6.27');
    expect(r.files).toBe(2);
    expect(r.treeId).toBe(
      treeId([
        { path: 'Makefile', mode: '100644', oid: blobId(mk) },
        { path: 'scripts/setlocalversion', mode: '100755', oid: blobId('#!/bin/sh\n') },
      ]),
    );
  });

  it('gives the same tree id as git for a git archive', async () => {
    const dir = await tmp();
    await writeFile(join(dir, 'Makefile'), 'VERSION = 2\n');
    await execa('git', ['init', '-q'], { cwd: dir });
    await execa('git', ['add', '-A'], { cwd: dir });
    await execa('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-qm', 'x'], { cwd: dir });
    const tree = (await execa('git', ['rev-parse', 'HEAD^{tree}'], { cwd: dir })).stdout;
    const archive = await execa('git', ['archive', '--format=tar', 'HEAD'], { cwd: dir, encoding: 'buffer' });
    const r = await scan(Buffer.from(archive.stdout));
    expect(r.treeId).toBe(tree);
    expect(r.prefix).toBe('');
  });

  it.each([
    ['a parent path', '../evil'],
    ['a nested parent path', 'linux/../../evil'],
    ['an absolute path', '/etc/passwd'],
  ])('refuses an entry with %s', async (_, path) => {
    await expect(scan(rawTar([{ path: 'linux/ok', data: 'x' }, { path, data: 'x' }]))).rejects.toThrow(/escapes its tree/);
  });

  it('refuses a symlink that points outside the tree', async () => {
    await expect(scan(rawTar([{ path: 'linux/link', type: '2', linkpath: '../../etc/shadow' }]))).rejects.toThrow(/symlink that escapes/);
  });

  it('says what it is when the input is not a tar', async () => {
    await expect(scan(Buffer.from('this is not a tarball at all'.repeat(40)))).rejects.toThrow(/tar/);
  });

  it('reads gzip, xz and bzip2 by their magic bytes', async () => {
    const dir = await tmp();
    const tar = rawTar([{ path: 'k/Makefile', data: 'VERSION = 2\n' }]);
    const plain = await scan(tar);
    await writeFile(join(dir, 'k.tar'), tar);
    await writeFile(join(dir, 'k.tgz'), gzipSync(tar));
    await execa('xz', ['-k', join(dir, 'k.tar')]);
    await execa('bzip2', ['-k', join(dir, 'k.tar')]);
    for (const [f, fmt] of [['k.tar', 'tar'], ['k.tgz', 'gzip'], ['k.tar.xz', 'xz'], ['k.tar.bz2', 'bzip2']] as const) {
      const { stream, format } = await openPlainTar(join(dir, f));
      expect(format).toBe(fmt);
      expect((await scanTar(stream)).treeId).toBe(plain.treeId);
    }
    expect(detectTarFormat(Buffer.from([0x1f, 0x8b]))).toBe('gzip');
  });

  it('finds a common top directory only when there is exactly one', () => {
    expect(commonTopDir(['a/x', 'a/y/z'])).toBe('a');
    expect(commonTopDir(['a/x', 'b/y'])).toBe('');
    expect(commonTopDir(['Makefile', 'a/x'])).toBe('');
  });
});
