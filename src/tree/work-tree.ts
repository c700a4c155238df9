import { mkdir, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { execa } from 'execa';
import { RigError, expectationError, inputError, infraError } from '../errors.ts';
import type { CacheLayout } from '../paths.ts';
import type { CachedSource } from '../source/cache.ts';
import { writeJsonAtomic, tempSibling } from '../util/atomic.ts';
import { exists, sha256File } from '../util/files.ts';
import { withLock } from '../util/lock.ts';
import { progress, say } from '../util/progress.ts';
import { commandMissing } from '../util/exec.ts';
import { commonPrefix, isRigLayer, patchKey, type LoadedPatch } from './series.ts';
import { parsePatchOutput, patchTargets, refuseEscaping, type HunkReport } from './patch-file.ts';
import { hunkText } from './hunks.ts';

/** What one patch did when it was applied. */
export interface AppliedPatch {
  key: string;
  layer: string;
  name: string;
  fuzz: HunkReport[];
  offsets: HunkReport[];
}

/**
 * state.json beside the tree. 'busy' while the tree is being changed: a tree
 * found busy was interrupted and is never reused.
 */
interface TreeState {
  status: 'ready' | 'busy';
  sourceTreeId: string;
  revision: string;
  /** Changes whenever the tree is extracted anew: build dirs made from an older instance are stale. */
  instance: string;
  /** when this instance was extracted: every file a patch touched is newer */
  extractedAt?: string;
  applied: AppliedPatch[];
}

export interface WorkTree {
  /** The kernel source directory (srctree): always `<home>/linux`. */
  dir: string;
  /**
   * Holds the tree, its state, its build dirs and its guest kit. Build dirs
   * sit at a fixed place beside the source (`<home>/build-<config>`), so the
   * compiler sees the same relative paths, -I lines and __FILE__ strings for
   * every revision of a source, and ccache serves one revision's units to
   * another.
   */
  home: string;
  key: string;
  instance: string;
  /** when this instance was extracted (ISO time): every file a patch touched is newer */
  extractedAt?: string;
  revision: string;
  applied: AppliedPatch[];
  /** How it was obtained this time: for the log and the benchmark. */
  action: 'reused' | 'updated' | 'extracted';
  popped: number;
  pushed: number;
}

export const treeKey = (source: CachedSource, revision: string) => `${source.treeId.slice(0, 12)}-${revision}`;

async function readState(file: string): Promise<TreeState | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as TreeState;
  } catch {
    return undefined;
  }
}

async function runPatch(dir: string, p: LoadedPatch, args: string[]) {
  return execa('patch', ['--batch', '--forward', `-p${p.strip}`, '--no-backup-if-mismatch', '--reject-file=-', '-d', dir, ...args], {
    input: p.text,
    reject: false,
    all: true,
  });
}

/** Applies one patch: dry run first, so a patch that fails leaves the tree as it was. */
export async function applyPatch(dir: string, p: LoadedPatch): Promise<AppliedPatch> {
  refuseEscaping(p);
  const dry = await runPatch(dir, p, ['--dry-run']);
  const report = parsePatchOutput(dry.all ?? '');
  if (dry.exitCode !== 0 || report.failed.length) {
    const details: string[] = [];
    for (const h of report.failed) {
      details.push(`hunk #${h.hunk} of ${h.file} FAILED at line ${h.line}:`);
      for (const l of hunkText(p.text, h.file, h.hunk, p.strip).slice(0, 12)) details.push(`    ${l}`);
    }
    if (!report.failed.length) details.push(...(dry.all ?? '').split('\n').slice(-8));
    const msg = `${p.layer}/${p.name} does not apply to the tree` + (report.failed.length ? ` (${report.failed.length} hunk(s) failed)` : '');
    const o = { details, hint: `the patch file is ${p.file}; rebase it onto the layers below it in the series` };
    throw isRigLayer(p.layer) ? inputError(msg, o) : expectationError(msg, o);
  }
  const real = await runPatch(dir, p, []);
  if (real.exitCode !== 0) throw infraError(`${p.name}: patch failed after a clean dry run`, { details: [real.all ?? ''] });
  const done = parsePatchOutput(real.all ?? '');
  return { key: patchKey(p), layer: p.layer, name: p.name, fuzz: done.fuzzy, offsets: done.offsets };
}

async function reversePatch(dir: string, p: { name: string; text: string; strip: number }): Promise<boolean> {
  const r = await execa('patch', ['--batch', '-R', `-p${p.strip}`, '--no-backup-if-mismatch', '--reject-file=-', '-d', dir], {
    input: p.text,
    reject: false,
  });
  return r.exitCode === 0;
}

export interface PrepareOptions {
  layout: CacheLayout;
  source: CachedSource;
  revision: string;
  /** compat layer first, then the revision's series. */
  patches: LoadedPatch[];
  /** Previously applied patch texts, needed to pop them; looked up by key. */
  knownPatches?: Map<string, LoadedPatch>;
}

/**
 * A work tree for (source, revision) with exactly `patches` applied. An
 * unchanged tree is reused as is; a changed stack pops to the first changed
 * patch and pushes from there (only touched files change, so the build stays
 * incremental); an interrupted one is discarded and extracted again.
 */
export async function prepareWorkTree(o: PrepareOptions): Promise<WorkTree> {
  const key = treeKey(o.source, o.revision);
  const base = join(o.layout.trees, key);
  const dir = join(base, 'linux');
  const stateFile = join(base, 'state.json');
  const wanted = o.patches.map(patchKey);
  return withLock(join(o.layout.locks, `tree-${key}.lock`), async () => {
    let state = await readState(stateFile);
    const present = await exists(dir);
    let action: WorkTree['action'] = 'reused';
    let popped = 0;
    // files the popped patches touch, as they were: what the push leaves as it was keeps its mtime
    let before: FileStamps | undefined;
    if (state && state.status === 'ready' && present && state.sourceTreeId === o.source.treeId) {
      const keep = commonPrefix(state.applied.map((a) => a.key), wanted);
      if (keep < state.applied.length || keep < wanted.length) {
        action = 'updated';
        state = { ...state, status: 'busy' };
        await writeJsonAtomic(stateFile, state);
        const texts = await Promise.all(state.applied.slice(keep).map(async (a) => o.knownPatches?.get(a.key) ?? (await readStash(base, a.key))));
        before = await stampFiles(dir, texts.flatMap((t) => (t ? patchTargets(t.text, t.strip).map((x) => x.path) : [])));
        for (let i = state.applied.length - 1; i >= keep; i--) {
          const a = state.applied[i]!;
          const text = texts[i - keep];
          if (!text || !(await reversePatch(dir, text))) {
            say(`work tree ${key}: cannot pop ${a.layer}/${a.name}; extracting afresh`);
            state = undefined;
            before = undefined;
            break;
          }
          popped++;
          state.applied.pop();
          await writeJsonAtomic(stateFile, state);
        }
      }
    } else {
      state = undefined;
    }
    if (!state) {
      action = 'extracted';
      state = await extract(o.source, base, dir, stateFile, o.revision);
    }
    const pushed = wanted.length - state.applied.length;
    if (pushed > 0) {
      state = { ...state, status: 'busy' };
      await writeJsonAtomic(stateFile, state);
      for (const p of o.patches.slice(state.applied.length)) {
        await stashPatch(base, p);
        try {
          state.applied.push(await applyPatch(dir, p));
        } catch (e) {
          // The tree is consistent up to the previous patch: record that, then report.
          if (before) await restoreUnchanged(dir, before);
          await writeJsonAtomic(stateFile, { ...state, status: 'ready' });
          throw e;
        }
        await writeJsonAtomic(stateFile, state);
      }
    }
    if (before) await restoreUnchanged(dir, before);
    state.status = 'ready';
    await writeJsonAtomic(stateFile, state);
    return { dir, home: base, key, instance: state.instance, extractedAt: state.extractedAt, revision: o.revision, applied: state.applied, action, popped, pushed };
  }, (pid) => say(`waiting for work tree ${key}, in use by pid ${pid}`));
}

/** Content and times of files, by path relative to the tree; a missing file is left out. */
type FileStamps = Map<string, { sha256: string; atime: Date; mtime: Date }>;

async function stampFiles(dir: string, paths: string[]): Promise<FileStamps> {
  const out: FileStamps = new Map();
  for (const rel of new Set(paths.filter(Boolean))) {
    const path = join(dir, rel);
    const st = await stat(path).catch(() => undefined);
    if (st?.isFile()) out.set(rel, { sha256: await sha256File(path), atime: st.atime, mtime: st.mtime });
  }
  return out;
}

/**
 * A file that a pop and a push left with the content it had gets its old
 * times back: make then recompiles only what the changed patch changed (a
 * one-line edit of 0003 had recompiled 342 units because 0004 and 0005 were
 * pushed again onto headers they leave as they were).
 */
async function restoreUnchanged(dir: string, before: FileStamps): Promise<void> {
  for (const [rel, was] of before) {
    const path = join(dir, rel);
    if ((await sha256File(path).catch(() => '')) === was.sha256) await utimes(path, was.atime, was.mtime);
  }
}

/** Patches are stashed by key so a later run can pop them even after the file changed. */
const stashFile = (base: string, key: string) => join(base, 'applied', key.replace(/[^A-Za-z0-9._-]/g, '_'));

async function stashPatch(base: string, p: LoadedPatch) {
  await mkdir(join(base, 'applied'), { recursive: true });
  await writeJsonAtomic(stashFile(base, patchKey(p)), { name: p.name, strip: p.strip, text: p.text });
}

async function readStash(base: string, key: string): Promise<{ name: string; strip: number; text: string } | undefined> {
  try {
    return JSON.parse(await readFile(stashFile(base, key), 'utf8'));
  } catch {
    return undefined;
  }
}

/** GNU tar's command line for a work tree, as data. Pure. */
export function tarExtractArgs(source: Pick<CachedSource, 'tarball' | 'prefix'>, into: string): string[] {
  return ['-xf', source.tarball, '-C', into, ...(source.prefix ? [`--strip-components=${source.prefix.split('/').length}`] : [])];
}

async function extract(source: CachedSource, base: string, dir: string, stateFile: string, revision: string): Promise<TreeState> {
  await mkdir(base, { recursive: true });
  const busy: TreeState = { status: 'busy', sourceTreeId: source.treeId, revision, instance: randomUUID(), extractedAt: new Date().toISOString(), applied: [] };
  await writeJsonAtomic(stateFile, busy);
  await rm(dir, { recursive: true, force: true });
  await rm(join(base, 'applied'), { recursive: true, force: true });
  const tmp = tempSibling(dir);
  await mkdir(tmp, { recursive: true });
  const p = progress(`extracting ${source.version} into ${dir}`);
  // GNU tar: 0.6 s for 2.6.27 where node-tar takes 13 s. The tarball was verified (tree id, safe paths) when it was cached.
  const r = await execa('tar', tarExtractArgs(source, tmp), { reject: false, all: true });
  if (r.exitCode !== 0) {
    await rm(tmp, { recursive: true, force: true });
    throw infraError(`extracting ${source.tarball} failed`, { details: (r.all ?? '').split('\n').slice(-8), hint: commandMissing(r) ? 'apt-get install tar (or run: freeze-rig doctor)' : 'run: freeze-rig source import (the cached tarball may be damaged)' });
  }
  await rename(tmp, dir);
  p.done(`${source.files} files`);
  return busy;
}
