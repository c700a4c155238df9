import { createHash, type Hash } from 'node:crypto';

/**
 * Git object ids, computed in-process: the rig identifies a kernel source by
 * its git tree id, whatever it came as (tarball, git repo), without needing
 * git for tarballs.
 */

export type GitMode = '100644' | '100755' | '120000';

export interface TreeEntry {
  /** Path inside the tree, '/'-separated, no leading './'. */
  path: string;
  mode: GitMode;
  /** Blob id, 40 hex digits. */
  oid: string;
}

/** Streaming blob hasher: git hashes "blob <size>\0" + content. */
export function blobHasher(size: number): Hash {
  return createHash('sha1').update(`blob ${size}\0`);
}

export function blobId(content: Uint8Array | string): string {
  const buf = typeof content === 'string' ? Buffer.from(content) : content;
  return blobHasher(buf.length).update(buf).digest('hex');
}

/** The git mode of a tar/fs entry: git only keeps the executable bit. */
export function gitModeOf(unixMode: number, isSymlink = false): GitMode {
  if (isSymlink) return '120000';
  return unixMode & 0o111 ? '100755' : '100644';
}

interface Dir {
  files: Map<string, { mode: string; oid: string }>;
  dirs: Map<string, Dir>;
}

const newDir = (): Dir => ({ files: new Map(), dirs: new Map() });

/** Git orders tree entries by name bytes, a directory's name as if it ended in '/'. */
function sortKey(name: string, isDir: boolean): Buffer {
  return Buffer.from(isDir ? name + '/' : name);
}

function hashDir(dir: Dir): string {
  const rows: { key: Buffer; bytes: Buffer }[] = [];
  for (const [name, f] of dir.files) {
    rows.push({ key: sortKey(name, false), bytes: entryBytes(f.mode, name, f.oid) });
  }
  for (const [name, d] of dir.dirs) {
    rows.push({ key: sortKey(name, true), bytes: entryBytes('40000', name, hashDir(d)) });
  }
  rows.sort((a, b) => Buffer.compare(a.key, b.key));
  const body = Buffer.concat(rows.map((r) => r.bytes));
  return createHash('sha1').update(`tree ${body.length}\0`).update(body).digest('hex');
}

function entryBytes(mode: string, name: string, oid: string): Buffer {
  return Buffer.concat([Buffer.from(`${mode} ${name}\0`), Buffer.from(oid, 'hex')]);
}

/**
 * The id of the tree holding these entries. Directories are implied by paths
 * (git stores no empty directories). Throws on a path given twice or a path
 * that is both a file and a directory.
 */
export function treeId(entries: Iterable<TreeEntry>): string {
  const root = newDir();
  for (const e of entries) {
    const parts = e.path.split('/');
    const name = parts.pop();
    if (!name || parts.some((p) => p === '')) throw new Error(`bad tree path: ${JSON.stringify(e.path)}`);
    let dir = root;
    for (const p of parts) {
      if (dir.files.has(p)) throw new Error(`${e.path}: ${p} is a file and a directory`);
      let next = dir.dirs.get(p);
      if (!next) dir.dirs.set(p, (next = newDir()));
      dir = next;
    }
    if (dir.files.has(name) || dir.dirs.has(name)) throw new Error(`${e.path}: given twice`);
    dir.files.set(name, { mode: e.mode, oid: e.oid });
  }
  return hashDir(root);
}

/** The empty tree every git knows: a fixed point for tests. */
export const EMPTY_TREE_ID = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
