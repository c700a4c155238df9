import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { spawn } from 'node:child_process';
import { Parser, type ReadEntry } from 'tar';
import { inputError, infraError } from '../errors.ts';
import { blobHasher, gitModeOf, treeId, type TreeEntry } from './tree-id.ts';
import { safeRelativePath, symlinkStaysInside } from './safe-path.ts';
import { versionFromMakefile } from './linux-2.6.27.ts';

export type TarFormat = 'tar' | 'gzip' | 'xz' | 'bzip2';

/** The compression of a tarball, from its first bytes (not its name). */
export function detectTarFormat(head: Uint8Array): TarFormat {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0xfd && head[1] === 0x37 && head[2] === 0x7a && head[3] === 0x58) return 'xz';
  if (head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68) return 'bzip2';
  return 'tar';
}

/**
 * A stream of the plain tar inside `file`. node-tar reads gzip but not xz or
 * bzip2, so those go through Debian's xz / bzip2.
 */
export async function openPlainTar(file: string): Promise<{ stream: Readable; format: TarFormat }> {
  const fh = await open(file, 'r');
  const head = Buffer.alloc(6);
  await fh.read(head, 0, 6, 0);
  await fh.close();
  const format = detectTarFormat(head);
  if (format === 'tar') return { stream: createReadStream(file), format };
  if (format === 'gzip') return { stream: createReadStream(file).pipe(createGunzip()), format };
  const tool = format === 'xz' ? 'xz' : 'bzip2';
  const child = spawn(tool, ['-dc', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.on('error', (e) => {
    child.stdout.destroy(
      infraError(`cannot run ${tool} to read ${file}: ${e.message}`, {
        hint: `install it: apt-get install ${format === 'xz' ? 'xz-utils' : 'bzip2'} (or run freeze-rig doctor)`,
      }),
    );
  });
  child.on('close', (code) => {
    if (code) child.stdout.destroy(inputError(`${tool} could not decompress ${file}: ${stderr.trim()}`));
  });
  return { stream: child.stdout, format };
}

export interface TarScan {
  /** git tree id of the content (below the common top directory, if any). */
  treeId: string;
  /** The common top directory that was stripped ('' if none), e.g. 'linux-2.6.27'. */
  prefix: string;
  files: number;
  bytes: number;
  /** Kernel version from the top Makefile, when there is one. */
  version: string | undefined;
}

interface Seen {
  path: string;
  mode: TreeEntry['mode'];
  oid: string;
}

/**
 * Reads a plain tar stream and computes the git tree id of what it holds,
 * without writing anything. Refuses entries that would escape the tree.
 */
export function scanTar(input: Readable, onBytes?: (n: number) => void): Promise<TarScan> {
  return new Promise((resolve, reject) => {
    const seen: Seen[] = [];
    const dirs = new Set<string>();
    const byPath = new Map<string, string>();
    const pending: Promise<void>[] = [];
    let bytes = 0;
    let makefile: string | undefined;
    let failed = false;
    const fail = (e: unknown) => {
      if (failed) return;
      failed = true;
      input.unpipe?.();
      input.destroy();
      reject(e);
    };

    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        const path = safeRelativePath(entry.path.replace(/^(\.\/)+/, ''));
        const meta = entry.type === 'GlobalExtendedHeader' || entry.type === 'ExtendedHeader';
        if (meta || entry.path === './' || entry.path === '.') return entry.resume();
        if (!path) {
          entry.resume();
          return fail(inputError(`refusing archive entry that escapes its tree: ${JSON.stringify(entry.path)}`));
        }
        switch (entry.type) {
          case 'Directory':
            dirs.add(path);
            return entry.resume();
          case 'SymbolicLink': {
            const target = entry.linkpath ?? '';
            if (!symlinkStaysInside(path, target)) {
              entry.resume();
              return fail(inputError(`refusing symlink that escapes its tree: ${path} -> ${target}`));
            }
            const oid = blobHasher(Buffer.byteLength(target)).update(target).digest('hex');
            seen.push({ path, mode: '120000', oid });
            byPath.set(path, oid);
            return entry.resume();
          }
          case 'Link': {
            const target = safeRelativePath(entry.linkpath ?? '');
            const oid = target && byPath.get(target);
            entry.resume();
            if (!oid) return fail(inputError(`refusing hard link to outside or unknown file: ${path} -> ${entry.linkpath}`));
            seen.push({ path, mode: gitModeOf(entry.mode ?? 0o644), oid });
            return;
          }
          case 'File':
          case 'OldFile':
          case 'ContiguousFile': {
            const size = entry.size ?? 0;
            const h = blobHasher(size);
            const keep = /^([^/]+\/)?Makefile$/.test(path);
            const chunks: Buffer[] = [];
            entry.on('data', (d: Buffer) => {
              h.update(d);
              bytes += d.length;
              onBytes?.(bytes);
              if (keep) chunks.push(d);
            });
            pending.push(
              new Promise<void>((res) =>
                entry.on('end', () => {
                  const oid = h.digest('hex');
                  seen.push({ path, mode: gitModeOf(entry.mode ?? 0o644), oid });
                  byPath.set(path, oid);
                  if (keep && (makefile === undefined || !path.includes('/'))) makefile = Buffer.concat(chunks).toString('latin1');
                  res();
                }),
              ),
            );
            return;
          }
          default:
            entry.resume();
            return fail(inputError(`refusing unsupported archive entry (${entry.type}): ${path}`));
        }
      },
    });
    parser.on('error', (e: Error) => fail(inputError(`not a readable tar archive: ${e.message}`)));
    input.on('error', fail);
    parser.on('end', () => {
      if (failed) return;
      Promise.all(pending).then(() => {
        try {
          if (seen.length === 0) throw inputError('the archive holds no files');
          const prefix = commonTopDir(seen.map((s) => s.path), dirs);
          const strip = prefix ? prefix.length + 1 : 0;
          const entries = seen.map((s) => ({ path: s.path.slice(strip), mode: s.mode, oid: s.oid }));
          resolve({
            treeId: treeId(entries),
            prefix,
            files: entries.length,
            bytes,
            version: makefile ? versionFromMakefile(makefile) : undefined,
          });
        } catch (e) {
          fail(e);
        }
      }, fail);
    });
    input.pipe(parser);
  });
}

/** The single top-level directory every file lives under ('' if there is none). */
export function commonTopDir(paths: string[], dirs: Set<string> = new Set()): string {
  let top: string | undefined;
  for (const p of paths) {
    const i = p.indexOf('/');
    if (i < 0) return '';
    const first = p.slice(0, i);
    if (top === undefined) top = first;
    else if (top !== first) return '';
  }
  if (top !== undefined && dirs.size && ![...dirs].every((d) => d === top || d.startsWith(top + '/'))) return '';
  return top ?? '';
}
