import { describe, expect, it } from 'vitest';
import { mkdir, writeFile, chmod, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { blobId, EMPTY_TREE_ID, treeId, type TreeEntry } from '../../src/source/tree-id.ts';
import { useTmp } from '../helpers/tmp.ts';

describe('git object ids', () => {
  const tmp = useTmp();

  it('hashes blobs as git does', () => {
    // `echo hello | git hash-object --stdin`
    expect(blobId('hello\n')).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
  });

  it('gives the empty tree its well-known id', () => {
    expect(treeId([])).toBe(EMPTY_TREE_ID);
  });

  it('agrees with git write-tree on nesting, modes, symlinks and name ordering', async () => {
    const dir = await tmp();
    // 'a.b' sorts before the directory 'a' (git compares 'a/'), 'a-' before both.
    const files: [string, string, number?][] = [
      ['a.b', 'file a.b\n'],
      ['a/x', 'x\n'],
      ['a-', 'dash\n'],
      ['a/sub/deep.c', 'int main(void) { return 0; }\n'],
      ['scripts/run.sh', '#!/bin/sh\n', 0o755],
      ['Makefile', 'VERSION = 2\n'],
    ];
    const entries: TreeEntry[] = [];
    for (const [p, text, mode] of files) {
      await mkdir(join(dir, p, '..'), { recursive: true });
      await writeFile(join(dir, p), text);
      if (mode) await chmod(join(dir, p), mode);
      entries.push({ path: p, mode: mode ? '100755' : '100644', oid: blobId(text) });
    }
    await symlink('a/x', join(dir, 'link'));
    entries.push({ path: 'link', mode: '120000', oid: blobId('a/x') });
    await execa('git', ['init', '-q'], { cwd: dir });
    await execa('git', ['add', '-A'], { cwd: dir });
    const { stdout } = await execa('git', ['write-tree'], { cwd: dir });
    expect(treeId(entries.reverse())).toBe(stdout.trim());
  });

  it('refuses a path given twice or a file that is also a directory', () => {
    const oid = blobId('');
    expect(() => treeId([{ path: 'a', mode: '100644', oid }, { path: 'a', mode: '100644', oid }])).toThrow(/twice/);
    expect(() => treeId([{ path: 'a', mode: '100644', oid }, { path: 'a/b', mode: '100644', oid }])).toThrow(/file and a directory/);
  });
});
