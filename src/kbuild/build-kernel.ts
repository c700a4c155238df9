import { createWriteStream } from 'node:fs';
import { readFile, rm, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { leashedGroup } from '../util/leash.ts';
import { expectationError, infraError } from '../errors.ts';
import type { CacheLayout } from '../paths.ts';
import type { WorkTree } from '../tree/work-tree.ts';
import type { CachedSource } from '../source/cache.ts';
import { configureKernel } from '../config/configure.ts';
import { configHash, type Fragment } from '../config/fragments.ts';
import { writeJsonAtomic } from '../util/atomic.ts';
import { artifact, exists, sha256File, type Artifact } from '../util/files.ts';
import { progress, say } from '../util/progress.ts';
import { compilerCommand, GCC12_FLAGS, makeArgs } from '../config/make-command.ts';
import { reproducerScript, shellLine } from '../util/shell.ts';
import { emptySummary, mergeWarnings, parseBuildLine, relativeTo, uniqueDiagnostics, type Diagnostic, type WarningLedger } from './build-log.ts';
import { vmlinuxSize, type SectionSizes } from './size.ts';
import { toolchainVersions } from './toolchain.ts';
import { CCACHE_ENV, cacheLine, parseStatsLog, type CacheUse } from './ccache.ts';
import { makeLineWithoutDir, seedBuildDir } from './seed.ts';
import type { LoadedPatch } from '../tree/series.ts';

export interface BuildRecord {
  kernel: { version: string; treeId: string };
  revision: string;
  tree: { dir: string; home: string; key: string; instance: string; action: WorkTree['action']; patches: WorkTree['applied'] };
  config: { fragments: string[]; hash: string; sha256: string; reconfigured: boolean };
  toolchain: Record<string, string>;
  compiler: { cc: string; flags: string[] };
  jobs: number;
  ccache: boolean;
  startedAt: string;
  durationSeconds: number;
  compiled: number;
  /** what ccache did in this build (absent without ccache, or when make did not run) */
  cache?: CacheUse;
  /** warnings of the whole tree (merged across incremental builds), each once */
  warningCount: number;
  warnings: Diagnostic[];
  /** whether `warnings` covers the whole tree: a cold build, then incremental ones of the same tree */
  warningsComplete?: boolean;
  /** warnings printed by this build alone */
  warningsThisBuild: number;
  /** `size vmlinux` */
  sizes?: SectionSizes;
  outDir: string;
  log: string;
  artifacts: Artifact[];
  /** Rebuild by hand, without the rig. */
  reproducer: string;
  /** make's command line, but for -j: what the objects were made with (CC, flags, targets) */
  make?: string[];
  /** make did not run: nothing it could redo (see upToDate) */
  upToDate?: boolean;
  /** the build dir started as a copy of this revision's build (seed.ts) */
  seededFrom?: string;
  /** false from make's start until its end: a record a killed build left, which says how to run it again and nothing more */
  complete?: boolean;
}

/** What build.json holds while make runs. */
export type StartedBuild = Pick<BuildRecord, 'kernel' | 'revision' | 'tree' | 'config' | 'toolchain' | 'compiler' | 'make' | 'jobs' | 'ccache' | 'startedAt' | 'outDir' | 'log' | 'reproducer'> & { complete: false };

/** A whole build's record, or nothing: a record of a build that never finished describes no objects. */
export const finished = (r: BuildRecord | StartedBuild | null): BuildRecord | null => (r && r.complete !== false ? (r as BuildRecord) : null);

/**
 * Whether the objects of `previous` are this build's already, so make need
 * not run (a no-op make of 2.6.27 still takes 2.5 s and relinks vmlinux):
 * the same tree instance, left as it was, the same toolchain, .config and
 * make command line (it holds CC with its flags, and the targets), the
 * artifacts as recorded, and no file of the tree changed since that build
 * started (a hand edit in the work tree is built).
 */
export async function upToDate(previous: BuildRecord, tree: WorkTree, current: { toolchain: Record<string, string>; make: string[] }): Promise<boolean> {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (previous.tree.instance !== tree.instance || tree.action !== 'reused') return false;
  if (!same(previous.toolchain, current.toolchain) || !same(previous.make, current.make)) return false;
  const configNow = await sha256File(join(previous.outDir, '.config')).catch(() => '');
  if (configNow !== previous.config.sha256) return false;
  for (const a of previous.artifacts) {
    if ((await sha256File(a.path).catch(() => '')) !== a.sha256) return false;
  }
  return !(await changedSince(tree.dir, new Date(previous.startedAt)));
}


async function readLedger(file: string, previous: BuildRecord | null): Promise<WarningLedger | undefined> {
  const l = JSON.parse(await readFile(file, 'utf8').catch(() => 'null')) as WarningLedger | null;
  if (l) return l;
  // build dirs from before the ledger: the last whole build's record stands for it
  return previous ? { instance: previous.tree.instance, complete: previous.warningsComplete === true, warnings: previous.warnings } : undefined;
}

const ledgerKnows = (l: WarningLedger | undefined, instance: string): l is WarningLedger => l?.instance === instance && l.complete;

/** ccache's account of this build, its sources named relative to the tree. */
function cacheUse(statsLog: string, srcDir: string): CacheUse {
  const use = parseStatsLog(statsLog);
  return { ...use, compiled: use.compiled.map((f) => relativeTo(f, srcDir)) };
}

/** Whether any file under dir was modified after t (GNU find, stops at the first). */
async function changedSince(dir: string, t: Date): Promise<boolean> {
  const r = await execa('find', [dir, '-newermt', `@${(t.getTime() / 1000).toFixed(3)}`, '-print', '-quit'], { reject: false });
  return r.exitCode !== 0 || r.stdout.trim() !== '';
}

export interface BuildOptions {
  layout: CacheLayout;
  source: CachedSource;
  tree: WorkTree;
  fragments: (Fragment & { text: string })[];
  jobs?: number;
  /** default: when installed */
  ccache?: boolean;
  targets?: string[];
  /** the tree's patches, with their texts: a fresh build dir may then be seeded (seed.ts) */
  patches?: LoadedPatch[];
}

/** One build dir per (tree instance, config), beside its tree: the path from build dir to source is `../linux` for every revision. */
export const buildDirFor = (tree: Pick<WorkTree, 'home'>, cfgHash: string) => join(tree.home, `build-${cfgHash.slice(0, 12)}`);

/**
 * An out-of-tree (O=) build of bzImage. The full log is kept beside the
 * objects; build.json is written last, so its presence means a whole build.
 */
export async function buildKernel(o: BuildOptions): Promise<BuildRecord> {
  const cfgHash = configHash(o.fragments);
  const outDir = buildDirFor(o.tree, cfgHash);
  await mkdir(outDir, { recursive: true });
  const recordFile = join(outDir, 'build.json');
  const ledgerFile = join(outDir, 'warnings.json');
  let previous = finished(JSON.parse(await readFile(recordFile, 'utf8').catch(() => 'null')));
  let ledger = await readLedger(ledgerFile, previous);
  if (!ledgerKnows(ledger, o.tree.instance) && (await exists(join(outDir, 'init', 'main.o')))) {
    // Objects whose warnings nobody recorded (a build killed mid-make, or a
    // dir from an older tree): make would not recompile them, so their
    // warnings would be missing from every later record. Start afresh;
    // ccache replays each unit's warnings with its object.
    say(`${outDir}: the warnings of its objects are not known (a build was killed, or the tree was extracted anew): building it afresh`);
    await rm(outDir, { recursive: true, force: true });
    await mkdir(outDir, { recursive: true });
    previous = null;
    ledger = undefined;
  }
  const started = Date.now();
  const jobs = o.jobs ?? 2;
  // One probe of the toolchain serves the record and the ccache decision.
  const toolchain = await toolchainVersions();
  const ccache = o.ccache ?? toolchain.ccache !== 'not installed';
  const targets = o.targets ?? ['bzImage'];
  // A fresh build dir of a fresh tree starts from a build of a prefix of its patches.
  const seed =
    !previous && o.patches && !(await exists(join(outDir, 'init', 'main.o')))
      ? await seedBuildDir<BuildRecord>(o.layout, o.tree, o.patches, outDir, {
          treeId: o.source.treeId,
          configHash: cfgHash,
          toolchain,
          make: makeLineWithoutDir(makeArgs({ srcDir: o.tree.dir, outDir, targets, ccache })),
        })
      : undefined;
  // What configuring prints goes to build.log, which is only started once make is known to run.
  const configLog: string[] = [];
  let cfg: Awaited<ReturnType<typeof configureKernel>>;
  try {
    cfg = await configureKernel(o.tree, outDir, o.fragments, (s) => configLog.push(s), jobs);
  } catch (e) {
    await writeFile(join(outDir, 'build.log'), configLog.join('\n'));
    throw e;
  }
  const current = { toolchain, make: makeArgs({ srcDir: o.tree.dir, outDir, targets, ccache }) };
  if (previous && !cfg.changed && (await upToDate(previous, o.tree, current))) {
    const record: BuildRecord = { ...previous, tree: { ...previous.tree, key: o.tree.key, action: o.tree.action }, jobs, durationSeconds: (Date.now() - started) / 1000, upToDate: true };
    await writeJsonAtomic(recordFile, record);
    return record;
  }
  // No object yet: this build compiles everything, so its warnings are the whole tree's.
  const cold = !(await exists(join(outDir, 'init', 'main.o')));
  // What the objects in outDir warned of before this make: the ledger, or a fresh dir's seed.
  const objectsFrom = cold ? undefined : ledgerKnows(ledger, o.tree.instance) ? ledger : seed ? (seed.ledger?.complete && seed.ledger.warnings ? { warnings: seed.ledger.warnings, complete: true } : { warnings: seed.warnings, complete: seed.warningsComplete === true }) : undefined;
  // (records written before paths were made tree-relative are normalised here)
  const before = objectsFrom?.warnings.map((d) => ({ ...d, file: relativeTo(d.file, o.tree.dir) }));
  const warningsComplete = cold || objectsFrom?.complete === true;
  // Until make ends, the objects are in flux: a kill now leaves a ledger that says so.
  await writeJsonAtomic(ledgerFile, { instance: o.tree.instance, complete: false, warnings: before ?? [] } satisfies WarningLedger);
  const logFile = join(outDir, 'build.log');
  const logStream = createWriteStream(logFile);
  const write = (s: string) => logStream.write(s.endsWith('\n') ? s : s + '\n');
  try {
    for (const s of configLog) write(s);
    const argv = makeArgs({ srcDir: o.tree.dir, outDir, targets, jobs, ccache });
    const reproducer = `make ${shellLine(argv)}`;
    write(`$ ${reproducer}`);
    // Before make starts, as tuxmake does: a build that is killed still says what it was and how to run it again.
    const about = [`freeze-rig: the build of ${o.tree.revision}, as the rig ran it`, `tree ${o.tree.dir} (${o.tree.applied.length} patches applied), config ${cfg.hash.slice(0, 12)}`, 'its record: build.json beside this file ("complete": false until make ended)'];
    // ccache's settings as the rig's (its stats log aside): the same cache entries serve a rebuild by hand
    const { CCACHE_STATSLOG: _stats, ...cacheEnv } = ccache ? CCACHE_ENV(o.layout.root, '') : ({} as Record<string, string>);
    await writeFile(join(outDir, 'reproducer.sh'), reproducerScript(about, ['make', ...argv], cacheEnv), { mode: 0o755 });
    const startedRecord: StartedBuild = {
      kernel: { version: o.source.version, treeId: o.source.treeId },
      revision: o.tree.revision,
      tree: { dir: o.tree.dir, home: o.tree.home, key: o.tree.key, instance: o.tree.instance, action: o.tree.action, patches: o.tree.applied },
      config: { fragments: o.fragments.map((f) => f.name), hash: cfg.hash, sha256: await sha256File(cfg.configPath), reconfigured: cfg.changed },
      toolchain,
      compiler: { cc: compilerCommand(ccache), flags: GCC12_FLAGS.map((f) => f.flag) },
      make: current.make,
      jobs,
      ccache,
      startedAt: new Date(started).toISOString(),
      outDir,
      log: logFile,
      reproducer,
      complete: false,
    };
    await writeJsonAtomic(recordFile, startedRecord);
    const summary = emptySummary();
    // Expected units: what the last build of this dir compiled from scratch, if known.
    const expected = previous?.compiled && previous.compiled > 50 ? previous.compiled : undefined;
    const p = progress(`building ${o.tree.revision}`);
    const statsLog = join(outDir, 'ccache-stats.log');
    await rm(statsLog, { force: true });
    const env = ccache ? CCACHE_ENV(o.layout.root, statsLog) : {};
    // nice 19: a run builds the next revision while guests run (see pipeline/run.ts); alone, it costs nothing
    // leashed with its compiler jobs: a rig killed with SIGKILL leaves no make or gcc running
    const leash = leashedGroup('nice', ['-n', '19', 'make', ...argv]);
    const child = execa(leash.file, leash.args, { detached: leash.detached, all: true, reject: false, buffer: false, env, lines: false });
    let pending = '';
    child.all!.on('data', (d: Buffer) => {
      const text = pending + d.toString();
      const lines = text.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        write(line);
        const kind = parseBuildLine(summary, line, o.tree.dir);
        if (kind === 'compiled' || kind === 'step') {
          const of = expected ? `/${expected}` : '';
          p.update(`${summary.compiled}${of} compiled, ${summary.warnings.length} warnings`);
        }
      }
    });
    const r = await child;
    if (pending) {
      write(pending);
      parseBuildLine(summary, pending, o.tree.dir);
    }
    // Passed or failed, the objects make left now warn of this: a build
    // after a failed one stays incremental and still knows every warning.
    // the ledger keeps each warning once per unit that reported it; the record, once
    const perUnit = mergeWarnings(before, summary.warnings, summary.units, summary.targets);
    await writeJsonAtomic(ledgerFile, { instance: o.tree.instance, complete: warningsComplete, warnings: perUnit } satisfies WarningLedger);
    // (without their units: one of each cannot say which units reported it, and a fallback must not read it as if it did)
    const warnings = uniqueDiagnostics(perUnit).map(({ unit: _unit, ...d }) => d);
    const cache = ccache ? cacheUse(await readFile(statsLog, 'utf8').catch(() => ''), o.tree.dir) : undefined;
    p.done(`${cache ? cacheLine(cache) : `${summary.compiled} compiled`}, ${summary.warnings.length} warnings, ${summary.errors.length} errors`);
    if (r.exitCode !== 0) {
      const details = [
        ...summary.errors.slice(0, 8).map((e) => `${e.file}:${e.line}:${e.column}: ${e.kind}: ${e.message}`),
        ...summary.failures.slice(0, 4),
      ];
      throw expectationError(`the kernel build of ${o.tree.revision} failed (${summary.errors.length} errors)`, {
        stage: 'build',
        log: logFile,
        details,
        hint: `full log: ${logFile}\nreproduce: ${reproducer}`,
      });
    }
    const arts: Artifact[] = [];
    for (const [name, rel] of [
      ['bzImage', 'arch/x86/boot/bzImage'],
      ['vmlinux', 'vmlinux'],
      ['System.map', 'System.map'],
      ['config', '.config'],
    ] as const) {
      const path = join(outDir, rel);
      if (await exists(path)) arts.push(await artifact(name, path));
    }
    if (targets.includes('bzImage') && !arts.some((a) => a.name === 'bzImage')) {
      throw infraError(`make succeeded but ${join(outDir, 'arch/x86/boot/bzImage')} is missing`);
    }
    const { complete: _building, ...started_ } = startedRecord;
    const record: BuildRecord = {
      ...started_,
      durationSeconds: (Date.now() - started) / 1000,
      // A no-change rebuild compiles nothing: keep the count of the last full build for progress.
      compiled: summary.compiled || previous?.compiled || 0,
      cache,
      ...(seed ? { seededFrom: seed.revision } : {}),
      warningCount: warnings.length,
      warnings,
      warningsThisBuild: summary.warnings.length,
      warningsComplete,
      sizes: await vmlinuxSize(join(outDir, 'vmlinux')),
      outDir,
      log: logFile,
      artifacts: arts,
      reproducer,
      complete: true,
    };
    await writeJsonAtomic(recordFile, record);
    return record;
  } finally {
    await new Promise((res) => logStream.end(res));
  }
}
