/**
 * A run, stage by stage: every revision is read and checked first (nothing
 * slow starts on bad input), then for each revision
 *   source -> tree -> config -> kbuild   (buildRevision; baseline once, first)
 *   guest kit beside the kernel build    (prepareGuestKit, on the tree)
 *   guest -> vm -> scenarios             (runScenarios; checkpatch meanwhile)
 *   report                               (written after each revision)
 * and the verdict. The CLI's `run`, the benchmark and the e2e tests call
 * this; the command only parses options, prints and turns the verdict into
 * an exit code.
 */
import { hostname } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { inputError } from '../errors.ts';
import { repoPath, type CacheLayout } from '../paths.ts';
import type { FsName } from '../guest/disk-images.ts';
import { prepareGuestKit, type GuestKit } from '../guest/guest-kit.ts';
import { patchRecords, revisionDelta } from '../kbuild/patch-records.ts';
import type { BuildRecord } from '../kbuild/build-kernel.ts';
import { cacheLine } from '../kbuild/ccache.ts';
import { guestContractHeader, type ScenarioId } from '../scenarios/catalogue.ts';
import { verdictOf, type ScenarioResult } from '../scenarios/judge.ts';
import { runScenarios, type Workload } from '../scenarios/run-scenarios.ts';
import { buildReport, perPatchOf } from '../report/report-model.ts';
import type { Report, RevisionRun } from '../report/report-types.ts';
import { writeReport, writeReportJsonSync } from '../report/write-report.ts';
import { removeMarker, removeMarkerSync, writeMarker } from '../report/run-marker.ts';
import { onInterrupt } from '../util/interrupt.ts';
import { commonPrefix, patchKey } from '../tree/series.ts';
import type { WorkTree } from '../tree/work-tree.ts';
import { writeJsonAtomic } from '../util/atomic.ts';
import { buildRevision } from './build-revision.ts';
import { buildPerPatch, type PrefixStep } from './per-patch.ts';
import { claimed, matrixLine } from '../report/patch-matrix.ts';
import { checkWorkload } from '../guest/workload.ts';
import { checkAccel, type AccelChoice } from '../vm/accel.ts';
import type { Clock } from '../vm/qemu-command.ts';
import { loadRevision, manifestOf, revisionDir, type Revision } from './revision.ts';

/** The revisions `npm run rig` compares when none are named. */
export const DEFAULT_REVISIONS = ['baseline', 'ext3-v1', 'generic-v2', 'generic-v3'] as const;

/** What to run: plain data, parsed from the command line (or written by a test). */
export interface RunRequest {
  layout: CacheLayout;
  /** names under patches/series or series directories, in report order */
  revisions: readonly string[];
  /** default: all */
  scenarios?: readonly ScenarioId[];
  /** default: ext3 and xfs */
  filesystems?: FsName[];
  /** the user's workloads for freeze-under-load, side by side */
  workloads?: Workload[];
  vmsPerFs: number;
  /** also build each revision after each of its patches, boot each and judge it by the revision's manifest */
  perPatch?: boolean;
  /** config fragments (default: the rig's) */
  fragments?: string[];
  jobs: number;
  sourceUrl?: string;
  /** the run directory: report.json, junit.xml, report.html, consoles */
  runDir: string;
  /** the command line, recorded in the report */
  command: string;
  /** --accel (default auto), recorded in the report */
  accel?: AccelChoice;
  /** the guests' clock, --clock (default real) */
  clock?: Clock;
  /** --record: each guest whose scenarios need no real time recorded; failures keep a replay script */
  record?: boolean;
}

/** Where a run tells what it is doing. */
export interface RunSink {
  say(text: string): void;
  /** one judged scenario, as soon as its revision's guests are done */
  result(r: ScenarioResult): void;
}

export interface RunOutcome {
  report: Report;
  runDir: string;
  /** pass: every expectation met; fail: the kernel or a build missed one; error: only the rig's errors stood in the way */
  verdict: 'pass' | 'fail' | 'error';
  /** scenarios that failed on the kernel's account, and known issues that did not reproduce */
  failed: ScenarioResult[];
  /** scenarios the rig could not judge */
  errored: ScenarioResult[];
  /** known issues that failed as their manifest says */
  knownFailed: ScenarioResult[];
  /** "revision: patch" that does not build on its own */
  unbuildable: string[];
}

/** A revision built, with what was made beside it. */
interface Built {
  rec: BuildRecord;
  steps: PrefixStep[];
  guestKit?: Promise<GuestKit>;
}

/** Whether revision a's patches start with all of b's. Pure. */
const stacksOn = (a: Revision, b: Revision) => b.patches.length < a.patches.length && commonPrefix(a.patches.map(patchKey), b.patches.map(patchKey)) === b.patches.length;

const buildLine = (rec: BuildRecord) =>
  rec.upToDate
    ? `build up to date, make not run (${rec.durationSeconds.toFixed(1)} s)`
    : `built in ${rec.durationSeconds.toFixed(1)} s${rec.cache ? ` (${cacheLine(rec.cache)}${rec.seededFrom ? `; the rest from ${rec.seededFrom}'s build` : ''})` : ''}`;

export async function runPipeline(req: RunRequest, sink: RunSink): Promise<RunOutcome> {
  // Every revision read and checked before anything is built.
  const revisions: Revision[] = [];
  for (const r of req.revisions) {
    const rev = await loadRevision(r);
    manifestOf(rev);
    // one work tree and build dir per name: the same revision twice would wait for itself
    if (revisions.some((x) => x.name === rev.name)) throw inputError(`${r}: revision ${rev.name} is listed twice`, { hint: 'name each revision once (a series directory counts by its name)' });
    revisions.push(rev);
  }
  for (const w of req.workloads ?? []) await checkWorkload(w.binary);
  await checkAccel(req.accel ?? 'auto');
  const runs: RevisionRun[] = [];
  const createdAt = new Date().toISOString();
  const report = (complete: boolean) => buildReport({ createdAt, hostname: hostname(), command: req.command, runs, complete, accel: req.accel ?? 'auto' });
  // a run stopped by a signal still says what finished, and where it stopped, even in its first revision
  let stage = 'building baseline';
  const forget = onInterrupt((signal) => {
    writeReportJsonSync(req.runDir, { ...report(false), interrupted: { signal, during: stage } });
    removeMarkerSync(req.runDir);
  });
  // running.json stays only if this process dies without a word (SIGKILL): a later reader says the run was killed, and where
  const marker = { pid: process.pid, host: hostname(), startedAt: createdAt, command: req.command };
  let marking = writeMarker(req.runDir, { ...marker, during: stage });
  const setStage = (s: string) => {
    stage = s;
    marking = marking.then(() => writeMarker(req.runDir, { ...marker, during: s })).catch(() => undefined);
  };
  try {
    await marking;
    const buildOpts = { layout: req.layout, fragments: req.fragments, jobs: req.jobs, sourceUrl: req.sourceUrl };
    // Every revision is compared with baseline's build: warnings it adds, size it changes.
    // the guest helper is made while the kernel compiles: it needs only the patched tree
    const kits = new Map<string, Promise<GuestKit>>();
    const onTree = (tree: WorkTree) => {
      const kit = prepareGuestKit(req.layout, tree, guestContractHeader());
      kit.catch(() => undefined); // awaited by runScenarios; a failed build must not leave it unhandled
      kits.set(tree.key, kit);
    };
    const base = buildRevision({ ...buildOpts, revision: 'baseline', onTree });
    // Builds form a chain of their own, one after another and at low priority
    // (buildKernel runs make under nice 19), so that the next revision compiles
    // while this one's guests run: the guests mostly sleep in their waits, and
    // at nice 0 they keep the CPU whenever they need it. A work tree is
    // extracted as soon as every build it may be seeded from is done (a seed
    // must finish before the extraction, seed.ts): baseline's, and those of
    // the run's revisions it extends (a fixture extends generic-v2), so most
    // extractions do not wait for the build before them.
    const builds: Promise<Built>[] = [];
    let chain: Promise<unknown> = base;
    for (const [i, rev] of revisions.entries()) {
      const gate = chain;
      const seeds = revisions.slice(0, i).flatMap((r, j) => (stacksOn(rev, r) ? [builds[j]!.catch(() => undefined)] : []));
      const built = Promise.all([base, ...seeds]).then(() => buildOne(rev, gate));
      built.catch(() => undefined); // awaited in order below
      builds.push(built);
      chain = built.catch(() => undefined);
    }
    async function buildOne(rev: Revision, gate: Promise<unknown>): Promise<Built> {
      // --per-patch pushes the stack patch by patch in the same tree: all of it after the build before
      // each step's kernel is kept aside to be booted after the revision's own guests
      const steps = req.perPatch ? await gate.then(() => buildPerPatch({ ...buildOpts, revision: rev, keep: req.runDir })) : [];
      const rec = rev.dir === revisionDir('baseline').dir ? await base : await buildRevision({ ...buildOpts, revision: rev, onTree, gate });
      return { rec, steps, guestKit: kits.get(rec.tree.key) };
    }
    for (const [i, rev] of revisions.entries()) {
      const manifest = manifestOf(rev);
      setStage(`building ${rev.name}`);
      const { rec, steps, guestKit } = await builds[i]!;
      setStage(`${rev.name}'s guests`);
      // checkpatch runs while the guests boot: the guests mostly wait
      const guests = runScenarios(rec, manifest, req.runDir, { layout: req.layout, scenarios: req.scenarios, filesystems: req.filesystems, workloads: req.workloads, vmsPerFs: req.vmsPerFs, guestKit, accel: req.accel, clock: req.clock, record: req.record });
      guests.catch(() => undefined); // awaited below; a failure of checkpatch first must not leave it unhandled
      const patches = (await patchRecords(rec, rev.patches)).map((p) => {
        const step = steps.find((s) => s.layer === p.layer && s.name === p.name);
        return step ? { ...p, build: step.build } : p;
      });
      const delta = revisionDelta(await base, rec);
      for (const p of patches) {
        const cp = 'errors' in p.checkpatch ? `checkpatch ${p.checkpatch.errors} errors, ${p.checkpatch.warnings} warnings` : 'checkpatch did not run';
        sink.say(`${rev.name}: ${p.name}: ${cp}${p.applied.fuzz.length ? `, FUZZ in ${p.applied.fuzz.length} hunks` : ''}${p.build ? `, ${p.build.ok ? 'builds' : p.build.stage === 'config' ? `CONFIG FAILS (${p.build.error})` : 'DOES NOT BUILD'}` : ''}`);
      }
      if (rev.name !== 'baseline') sink.say(`${rev.name}: ${delta.newWarnings ? `${delta.newWarnings.length} new warnings` : `new warnings unknown (${delta.why})`}, vmlinux text ${delta.size?.text ?? '?'} B, data ${delta.size?.data ?? '?'} B against baseline`);
      sink.say(`${rec.revision}: ${buildLine(rec)}; its guests are booting`);
      const { results, boots } = await guests;
      for (const r of results) sink.result(r);
      const manifestFile = resolve(rev.dir, 'manifest.json');
      const run: RevisionRun = { revision: rec.revision, summary: manifest.summary, manifest: relative(repoPath(), manifestFile).startsWith('..') ? manifestFile : relative(repoPath(), manifestFile), build: rec, patches, delta, boots, results };
      runs.push(run);
      if (req.perPatch) {
        // every prefix but the last (the revision itself), each judged by the revision's manifest
        run.prefixes = [];
        for (const step of steps.filter((s) => s.kernel && s.k < patches.length)) {
          setStage(`${step.kernel!.revision}'s guests`);
          sink.say(`${step.kernel!.revision}: booting the tree after ${step.k}/${patches.length} ${step.name}`);
          const r = await runScenarios(step.kernel!, manifest, req.runDir, { layout: req.layout, scenarios: req.scenarios, filesystems: req.filesystems, workloads: req.workloads, vmsPerFs: req.vmsPerFs, guestKit, accel: req.accel, clock: req.clock, record: req.record });
          run.prefixes.push({ k: step.k, layer: step.layer, name: step.name, dir: step.kernel!.revision, results: r.results });
          await writeReport(req.runDir, report(false));
        }
        for (const row of perPatchOf(run, run.prefixes).rows.filter(claimed)) sink.say(`${rec.revision} per patch: ${row.fs.padEnd(4)} ${row.scenario.padEnd(21)} ${matrixLine(row, patches.length)}`);
      }
      // a revision named by its path is filed under its name, as runScenarios files its guests
      await writeJsonAtomic(join(req.runDir, rec.revision, 'build.json'), rec);
      // after each revision: a run stopped later still leaves a report, marked incomplete
      await writeReport(req.runDir, report(false));
    }
    setStage('writing the report');
    const final = report(true);
    await writeReport(req.runDir, final);
    const unbuildable = runs.flatMap((r) => r.patches.filter((p) => p.build && !p.build.ok).map((p) => `${r.revision}: ${p.name}`));
    return { report: final, runDir: req.runDir, ...verdictOf(runs.flatMap((r) => r.results), unbuildable.length), unbuildable };
  } finally {
    forget();
    await marking;
    await removeMarker(req.runDir);
  }
}
