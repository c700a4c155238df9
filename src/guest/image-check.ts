import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { shellLine } from '../util/shell.ts';
import { infraError } from '../errors.ts';
import { commandMissing } from '../util/exec.ts';
import { fsckArgs, type FsName } from './disk-images.ts';

/**
 * Checks a snapshot of a guest disk on the host, with the filesystems' own
 * tools and without mounting it (nothing here may replay a journal or a
 * log: the question is whether the snapshot needs that). Command lines are
 * data; their output is parsed by pure functions.
 */

/** A file the guest wrote before the snapshot: where, how long, its FNV-1a 64 (hex). */
export interface SnapshotFile {
  path: string;
  bytes: number;
  fnv: string;
  /** written without fsync just before the freeze (the freeze had to flush it) */
  buffered?: boolean;
}

export interface SnapshotFacts {
  fsckExit: number;
  /** the lines of the fsck output that say what is wrong, or its last lines */
  fsckSummary: string;
  recoveryNeeded: boolean;
  recoveryWhy: string;
  expected: number;
  /** "path: missing | size N, expected M | content differs", one per bad file */
  bad: string[];
  clean: boolean;
}

/** FNV-1a, 64 bits, as the guest computes it (rig/guest/backup.c). Pure. */
export function fnv1a64(buf: Uint8Array): string {
  let h = 0xcbf29ce484222325n;
  for (const b of buf) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}

/** How to ask whether the journal or log needs replay, as data. Pure. */
export function recoveryArgs(fs: FsName, image: string): string[] {
  return fs === 'ext3' ? ['dumpe2fs', '-h', image] : ['xfs_logprint', '-t', image];
}

/** Whether the journal (ext3: needs_recovery) or the log (XFS: state DIRTY) needs replay. Pure. */
export function parseRecovery(fs: FsName, out: string): { needed: boolean; why: string } {
  if (fs === 'ext3') {
    const features = /^Filesystem features:\s*(.*)$/m.exec(out)?.[1];
    if (features === undefined) return { needed: true, why: 'dumpe2fs printed no feature list' };
    return features.split(/\s+/).includes('needs_recovery') ? { needed: true, why: 'journal recovery (needs_recovery is set)' } : { needed: false, why: 'journal clean' };
  }
  const state = /log tail: (\d+) head: (\d+) state: <(\w+)>/.exec(out);
  if (!state) return { needed: true, why: 'xfs_logprint printed no log state' };
  return state[3] === 'CLEAN' ? { needed: false, why: 'log clean' } : { needed: true, why: `log recovery (log ${state[3]}, tail ${state[1]}, head ${state[2]})` };
}

/** The lines of an fsck run worth a reader's time: what it found, not its phase banners. Pure. */
export function fsckFindings(out: string): string[] {
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(Phase \d|- |Pass \d|e2fsck \d|No modify flag set|Cannot get host filesystem geometry|Repair may fail|the image and the host)/.test(l));
}

/** One xfs_db run that prints the size and extents of each path, behind "@@ path" markers. Pure. */
export function xfsDbFileArgs(image: string, paths: string[]): string[] {
  const cmds = ['sb 0', 'print blocksize agblocks', ...paths.flatMap((p) => [`echo @@ ${p}`, `path ${p}`, 'print core.size', 'bmap'])];
  return ['xfs_db', '-r', ...cmds.flatMap((c) => ['-c', c]), image];
}

export interface XfsExtent {
  /** file offset, in blocks */
  offset: number;
  /** byte offset in the image */
  at: number;
  blocks: number;
  unwritten: boolean;
}

/**
 * Where each file's data is in the image, from xfsDbFileArgs' output;
 * undefined for a path xfs_db could not find (after an error xfs_db keeps
 * the previous inode current, so its lines there are not the path's). Pure.
 */
export function parseXfsDbFiles(out: string): { blocksize: number; files: Map<string, { size: number; extents: XfsExtent[] } | undefined> } {
  const blocksize = Number(/^blocksize = (\d+)/m.exec(out)?.[1]);
  const agblocks = Number(/^agblocks = (\d+)/m.exec(out)?.[1]);
  const files = new Map<string, { size: number; extents: XfsExtent[] } | undefined>();
  for (const section of out.split(/^@@ /m).slice(1)) {
    const [head, ...lines] = section.split('\n');
    const path = head!.trim();
    const size = lines.map((l) => /^core\.size = (\d+)/.exec(l)).find(Boolean);
    if (lines.some((l) => l.startsWith(`${path}:`)) || !size) {
      files.set(path, undefined);
      continue;
    }
    const extents = lines.flatMap((l) => {
      const m = /^data offset (\d+) startblock \d+ \((\d+)\/(\d+)\) count (\d+) flag (\d)/.exec(l);
      return m ? [{ offset: Number(m[1]), at: (Number(m[2]) * agblocks + Number(m[3])) * blocksize, blocks: Number(m[4]), unwritten: m[5] === '1' }] : [];
    });
    files.set(path, { size: Number(size[1]), extents });
  }
  return { blocksize, files };
}

/** Reads files out of an XFS image through xfs_db's block maps. */
async function readXfsFiles(image: string, paths: string[]): Promise<Map<string, Buffer | undefined>> {
  const r = await tool(xfsDbFileArgs(image, paths));
  const { blocksize, files } = parseXfsDbFiles(r.all ?? '');
  const out = new Map<string, Buffer | undefined>();
  const fh = await open(image, 'r');
  try {
    for (const p of paths) {
      const f = files.get(p);
      if (!f) {
        out.set(p, undefined);
        continue;
      }
      const buf = Buffer.alloc(f.size); // holes and unwritten extents read as zeros
      for (const e of f.extents) {
        const start = e.offset * blocksize;
        const len = Math.min(e.blocks * blocksize, f.size - start);
        if (len > 0 && !e.unwritten) await fh.read(buf, start, len, e.at);
      }
      out.set(p, buf);
    }
  } finally {
    await fh.close();
  }
  return out;
}

/** debugfs's rdump of a directory into out/basename(dir), as data (debugfs takes one -R). Pure. */
export function debugfsDumpArgs(image: string, dir: string, out: string): string[] {
  return ['debugfs', '-R', `rdump ${dir} ${out}`, image];
}

/** Reads files out of an ext3 image with debugfs (rdump of their directories). */
async function readExt3Files(image: string, paths: string[]): Promise<Map<string, Buffer | undefined>> {
  const tmp = await mkdtemp(join(tmpdir(), 'freeze-rig-snap-'));
  try {
    for (const d of [...new Set(paths.map((p) => dirname(p)))]) {
      await tool(debugfsDumpArgs(image, d, tmp));
    }
    const out = new Map<string, Buffer | undefined>();
    for (const p of paths) {
      const local = join(tmp, dirname(p).split('/').pop()!, p.split('/').pop()!);
      out.set(p, await readFile(local).catch(() => undefined));
    }
    return out;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** What is wrong with each file, against what the guest reported. Pure. */
export function badFiles(files: SnapshotFile[], read: Map<string, Buffer | undefined>): string[] {
  return files.flatMap((f) => {
    const b = read.get(f.path);
    if (!b) return [`${f.path}: missing`];
    if (b.length !== f.bytes) return [`${f.path}: ${b.length} bytes, expected ${f.bytes}`];
    return fnv1a64(b) === f.fnv ? [] : [`${f.path}: content differs`];
  });
}

/** Runs a checking tool; a missing one is the machine's problem, not the image's. */
async function tool(argv: string[]) {
  const r = await execa(argv[0]!, argv.slice(1), { reject: false, all: true, maxBuffer: 64 * 1024 * 1024 });
  if (commandMissing(r)) throw infraError(`${argv[0]} is not installed: the image cannot be checked`, { hint: 'apt-get install --no-install-recommends e2fsprogs xfsprogs (or run: freeze-rig doctor)' });
  return r;
}

/** e2fsck -fn / xfs_repair -n of an image: its command line, exit code and whole output. */
export async function fsckImage(fs: FsName, image: string): Promise<{ command: string; exitCode: number; output: string }> {
  const argv = fsckArgs(fs, image);
  const r = await tool(argv);
  return { command: shellLine(argv), exitCode: r.exitCode ?? -1, output: r.all ?? '' };
}

/** fsck, recovery state and every expected file of one snapshot. */
export async function checkSnapshot(fs: FsName, image: string, files: SnapshotFile[]): Promise<SnapshotFacts> {
  const fsck = await fsckImage(fs, image);
  const rr = await tool(recoveryArgs(fs, image));
  const recovery = parseRecovery(fs, rr.all ?? '');
  const paths = files.map((f) => f.path);
  const read = fs === 'ext3' ? await readExt3Files(image, paths) : await readXfsFiles(image, paths);
  const bad = badFiles(files, read);
  const fsckExit = fsck.exitCode;
  return {
    fsckExit,
    fsckSummary: fsckFindings(fsck.output).slice(0, 6).join(' | '),
    recoveryNeeded: recovery.needed,
    recoveryWhy: recovery.why,
    expected: files.length,
    bad,
    clean: fsckExit === 0 && !recovery.needed && bad.length === 0,
  };
}
