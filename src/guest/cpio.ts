import { gzipSync } from 'node:zlib';

/**
 * A cpio "newc" archive, the initramfs format, written by the rig itself so
 * the same inputs give the same bytes: fixed inode numbers, mtime 0, uid 0.
 * Pure.
 */
export type CpioEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; data: Uint8Array; mode?: number }
  | { type: 'char' | 'block'; path: string; major: number; minor: number; mode?: number }
  | { type: 'symlink'; path: string; target: string };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFLNK = 0o120000;

const hex8 = (n: number) => n.toString(16).padStart(8, '0');
const pad4 = (n: number) => (4 - (n % 4)) % 4;

function record(ino: number, mode: number, path: string, data: Uint8Array, rdev: [number, number] = [0, 0], nlink = 1): Buffer {
  const name = Buffer.from(path + '\0');
  const header =
    '070701' +
    [ino, mode, 0, 0, nlink, 0, data.length, 0, 0, rdev[0], rdev[1], name.length, 0].map(hex8).join('');
  const head = Buffer.concat([Buffer.from(header, 'ascii'), name]);
  return Buffer.concat([head, Buffer.alloc(pad4(head.length)), data, Buffer.alloc(pad4(data.length))]);
}

/** Entries are written sorted by path (parents first), so order of the input does not matter. */
export function cpioNewc(entries: CpioEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const seen = new Set<string>();
  const parts: Buffer[] = [];
  let ino = 1;
  for (const e of sorted) {
    const path = e.path.replace(/^\/+/, '');
    if (!path || seen.has(path)) throw new Error(`cpio: bad or duplicate path ${JSON.stringify(e.path)}`);
    seen.add(path);
    switch (e.type) {
      case 'dir':
        parts.push(record(ino++, S_IFDIR | (e.mode ?? 0o755), path, new Uint8Array(), [0, 0], 2));
        break;
      case 'file':
        parts.push(record(ino++, S_IFREG | (e.mode ?? 0o644), path, e.data));
        break;
      case 'char':
      case 'block':
        parts.push(record(ino++, (e.type === 'char' ? S_IFCHR : S_IFBLK) | (e.mode ?? 0o600), path, new Uint8Array(), [e.major, e.minor]));
        break;
      case 'symlink':
        parts.push(record(ino++, S_IFLNK | 0o777, path, Buffer.from(e.target)));
        break;
    }
  }
  parts.push(record(0, 0, 'TRAILER!!!', new Uint8Array(), [0, 0], 1));
  return Buffer.concat(parts);
}

/** gzip with a zero mtime in its header: byte-for-byte reproducible. */
export const gzipDeterministic = (data: Uint8Array) => gzipSync(data, { level: 9 });
