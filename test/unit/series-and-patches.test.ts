import { describe, expect, it } from 'vitest';
import { commonPrefix, parseSeries } from '../../src/tree/series.ts';
import { escapingTargets, parsePatchOutput } from '../../src/tree/patch-file.ts';
import { hunkText } from '../../src/tree/hunks.ts';
import { safeRelativePath, symlinkStaysInside } from '../../src/source/safe-path.ts';

describe('quilt series files', () => {
  it('reads patches, -pN and comments', () => {
    const s = parseSeries('# the series\n0001-a.patch\n\n0002-b.patch -p0   # legacy\n  0003-c.patch\n');
    expect(s).toEqual([
      { name: '0001-a.patch', strip: 1 },
      { name: '0002-b.patch', strip: 0 },
      { name: '0003-c.patch', strip: 1 },
    ]);
  });

  it('names the line of an error', () => {
    expect(() => parseSeries('a.patch\n../../etc/x.patch\n', 'series')).toThrow(/series:2: patch path escapes/);
    expect(() => parseSeries('a.patch -R\n', 'series')).toThrow(/series:1: unknown option -R/);
    expect(() => parseSeries('a.patch\na.patch\n', 'series')).toThrow(/series:2: a.patch is listed twice/);
  });

  it('keeps the shared prefix of two stacks', () => {
    expect(commonPrefix(['a', 'b', 'c'], ['a', 'b', 'x', 'y'])).toBe(2);
    expect(commonPrefix([], ['a'])).toBe(0);
  });
});

describe('patch files', () => {
  const patch = [
    'From: x',
    'Subject: [PATCH] y',
    '',
    '---',
    'diff --git a/fs/ioctl.c b/fs/ioctl.c',
    '--- a/fs/ioctl.c',
    '+++ b/fs/ioctl.c',
    '@@ -1,3 +1,3 @@',
    ' one',
    '-two',
    '+TWO',
    ' three',
    '@@ -10,3 +10,4 @@',
    ' ten',
    '+ten and a half',
    ' eleven',
    ' twelve',
    '--- a/include/linux/fs.h',
    '+++ b/include/linux/fs.h',
    '@@ -5,2 +5,3 @@',
    ' five',
    '+#define FIFREEZE 1',
  ].join('\n');

  it('finds the text of a hunk by file and number', () => {
    expect(hunkText(patch, 'fs/ioctl.c', 2)).toEqual(['@@ -10,3 +10,4 @@', ' ten', '+ten and a half', ' eleven', ' twelve']);
    expect(hunkText(patch, 'include/linux/fs.h', 1)[0]).toBe('@@ -5,2 +5,3 @@');
    expect(hunkText(patch, 'fs/ioctl.c', 3)).toEqual([]);
  });

  it('refuses paths that leave the tree', () => {
    expect(escapingTargets(patch, 1)).toEqual([]);
    expect(escapingTargets('--- a/../../etc/passwd\n+++ b/../../etc/passwd\n', 1)).toHaveLength(2);
    expect(escapingTargets('--- /etc/passwd\n+++ /etc/passwd\n', 0)).toHaveLength(2);
  });

  it('reads GNU patch output: offset, fuzz, failure (real patch 2.7 output)', () => {
    expect(parsePatchOutput('checking file f.txt\nHunk #1 succeeded at 20 (offset 3 lines).\n').offsets).toEqual([
      { file: 'f.txt', hunk: 1, line: 20, offset: 3, fuzz: undefined, status: 'offset' },
    ]);
    expect(parsePatchOutput('checking file f.txt\nHunk #1 succeeded at 17 with fuzz 1.\n').fuzzy[0]).toMatchObject({ hunk: 1, fuzz: 1, status: 'fuzz' });
    const failed = parsePatchOutput('checking file f.txt\nHunk #1 FAILED at 17.\n1 out of 1 hunk FAILED\n');
    expect(failed.failed).toEqual([{ file: 'f.txt', hunk: 1, line: 17, status: 'failed' }]);
    expect(failed.other).toEqual([]);
    const both = parsePatchOutput('patching file a.c\nHunk #2 succeeded at 1485 with fuzz 2 (offset -3 lines).\n');
    expect(both.hunks[0]).toMatchObject({ hunk: 2, fuzz: 2, offset: -3, status: 'fuzz' });
    expect(parsePatchOutput('checking file f.txt\nReversed (or previously applied) patch detected!  Skipping patch.\n').other).toHaveLength(1);
  });
});

describe('safe paths', () => {
  it.each([
    ['a/b', 'a/b'],
    ['./a//b/', 'a/b'],
    ['a/../b', 'b'],
    ['../a', undefined],
    ['/abs', undefined],
    ['a/../..', undefined],
    ['.', undefined],
  ])('%s -> %s', (input, out) => expect(safeRelativePath(input)).toBe(out));

  it('keeps symlinks inside', () => {
    expect(symlinkStaysInside('include/asm', 'asm-x86')).toBe(true);
    expect(symlinkStaysInside('a/b/link', '../../c')).toBe(true);
    expect(symlinkStaysInside('a/link', '../../c')).toBe(false);
    expect(symlinkStaysInside('a', '/etc')).toBe(false);
  });
});
