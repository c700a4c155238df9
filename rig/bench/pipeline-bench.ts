/**
 * The developer's loop, measured in one run on this machine (issue #7), for
 * generic-v2 on ext3 and XFS, through the pipeline function the CLI calls:
 *   bare      `make -j2 bzImage` of generic-v2's tree and .config, plain gcc, cold
 *   cold      `freeze-rig run --series generic-v2` with its work tree, build dir
 *             and ccache gone (baseline's build, which the run compares
 *             against, stays: it is another revision)
 *   warm      the same run again, nothing changed
 *   edit      one line of one patch changed (a copy of the series), from the
 *             edit to the verdict
 *   overhead  guest seconds per scenario against the waits it requires
 *   default   `npm run rig` (every default revision) from an empty cache: no
 *             work trees, no build dirs, no ccache; then a known-bad fixture
 *             of generic-v2 in a fresh tree, on that cache
 *   virtualTime  the default run again from warm builds, and a one-line edit
 *             to the verdict, each in real time (the default) and in virtual
 *             time (--clock virtual), one after the other in this run
 * Every run but virtualTime's virtual-time ones is in real time, the default.
 * Units compiled are ccache's misses, from each build's record.
 * Prints the figures and writes bench.json. Never a test: these machines are
 * shared and noisy, so figures, not assertions.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cacheLayout, repoPath } from '../../src/paths.ts';
import { buildRevision } from '../../src/pipeline/build-revision.ts';
import { timeBareMake } from './bare-make.ts';
import { REQUIRED_WAIT_MS, type ScenarioId } from '../../src/scenarios/catalogue.ts';
import type { Report } from '../../src/report/report-types.ts';
import type { BuildRecord } from '../../src/kbuild/build-kernel.ts';
import { writeJsonAtomic } from '../../src/util/atomic.ts';
import { cacheLine } from '../../src/kbuild/ccache.ts';
import { unitsIncluding } from '../../src/kbuild/kbuild-deps.ts';
import { loadRevision } from '../../src/pipeline/revision.ts';
import { DEFAULT_REVISIONS, runPipeline } from '../../src/pipeline/run.ts';
import { DEFAULT_VMS_PER_FS } from '../../src/scenarios/run-scenarios.ts';
import type { ScenarioResult } from '../../src/scenarios/judge.ts';
import { resultLine } from '../../src/commands/run.ts';
import { RigError } from '../../src/errors.ts';
import { say } from '../../src/util/progress.ts';
import { patchTargets } from '../../src/tree/patch-file.ts';
import type { Clock } from '../../src/vm/qemu-command.ts';

const layout = cacheLayout();
const seconds = (t0: number) => (Date.now() - t0) / 1000;
const work = await mkdtemp(join(tmpdir(), 'freeze-rig-bench-'));

interface Timed {
  seconds: number;
  exitCode: number;
  report: Report;
  build: BuildRecord;
  builds: Record<string, BuildRecord>;
  log: string[];
}

/**
 * One run of the pipeline, as `npm run rig` runs it (the same function the
 * CLI calls), with its own ccache dir; `series` empty: the default revisions.
 */
async function rig(name: string, series: string[], ccacheDir: string, clock: Clock = 'real'): Promise<Timed> {
  const runDir = join(work, name);
  process.env.CCACHE_DIR = ccacheDir; // make and ccache run in this process's environment
  const log: string[] = [];
  const sink = {
    say: (t: string) => (log.push(t), say(t)),
    result: (r: ScenarioResult) => log.push(resultLine(r)),
  };
  const t0 = Date.now();
  let exitCode = 0;
  try {
    const o = await runPipeline({ layout, revisions: series.length ? series : [...DEFAULT_REVISIONS], vmsPerFs: DEFAULT_VMS_PER_FS, jobs: 2, runDir, clock, command: `bench ${name}` }, sink);
    if (o.verdict !== 'pass') exitCode = 1;
  } catch (e) {
    exitCode = e instanceof RigError ? e.exitCode : 2;
    log.push(String(e instanceof RigError ? e.format() : e));
  }
  const s = seconds(t0);
  const report: Report = JSON.parse(await readFile(join(runDir, 'report.json'), 'utf8'));
  const builds: Record<string, BuildRecord> = {};
  for (const rev of report.revisions) builds[rev.revision] = JSON.parse(await readFile(join(runDir, rev.revision, 'build.json'), 'utf8'));
  return { seconds: s, exitCode, report, build: builds['generic-v2']!, builds, log };
}

/** pass, fail (known), skip, error counts of a run */
const countsOf = (t: Timed) => {
  const n = (st: string) => t.report.results.filter((x) => x.status === st).length;
  return `${n('pass')} pass, ${n('fail')} fail (${t.report.results.filter((x) => x.status === 'fail' && x.known).length} known), ${n('skip')} skip, ${n('error')} error`;
};

/** Units the compiler ran for: ccache's misses (a build make skipped compiled none). */
const compiledBy = (b: BuildRecord) => (b.upToDate ? 0 : (b.cache?.misses ?? b.compiled));

const logLines = (t: Timed) => t.log.filter((l) => /generic-v2: (built in|build up to date)|^(FAIL|ERROR) |^error:/.test(l));
/** make's part of a run, as its log showed it */
const makeDid = (b: BuildRecord) => (b.upToDate ? 'make not run (up to date)' : b.cache ? cacheLine(b.cache) : `${b.compiled} units compiled`);

console.log(`freeze-rig pipeline benchmark: generic-v2, ext3 and XFS (${cpus().length} cores; one run; figures, not assertions)`);
const ref = await buildRevision({ layout, revision: 'generic-v2' });

// 1. bare make, cold: a fresh O= dir, generic-v2's .config, plain gcc.
const bareMakeSeconds = await timeBareMake(ref.tree.dir, join(ref.outDir, '.config'));
console.log(`bare make -j2 bzImage, cold                 ${bareMakeSeconds.toFixed(1)} s`);

// 2. the rig's cold pipeline: no work tree, no build dir, an empty ccache.
await rm(dirname(ref.tree.dir), { recursive: true, force: true });
await rm(ref.outDir, { recursive: true, force: true });
const ccache = join(work, 'ccache');
const cold = await rig('cold', ['generic-v2'], ccache);
const coldPipelineRatio = cold.seconds / bareMakeSeconds;
console.log(`rig cold pipeline (extract, patch, config, build, boot, judge) ${cold.seconds.toFixed(1)} s  ratio ${coldPipelineRatio.toFixed(2)} (target <= 1.6), exit ${cold.exitCode}`);
for (const l of logLines(cold)) console.log(`    ${l}`);

// 3. warm: nothing changed.
const warm = await rig('warm', ['generic-v2'], ccache);
const warmTree = warm.build.tree.action;
const warmCompiled = warm.build.upToDate ? 0 : warm.build.compiled;
console.log(`rig warm rerun                              ${warm.seconds.toFixed(1)} s (target <= 40): tree ${warmTree}, ${makeDid(warm.build)}, exit ${warm.exitCode}`);
for (const l of logLines(warm)) console.log(`    ${l}`);

// 4. a one-line change to one patch, from the edit to the verdict.
const series = join(work, 'series', 'generic-v2');
await cp(repoPath('patches/series/generic-v2'), series, { recursive: true });
const patch = join(series, '0003-vfs-add-a-freeze-timeout-and-FIFREEZE_RESET_TIMEOUT.patch');
const before = await readFile(patch, 'utf8');
const line = '+	/* A thaw, or a new timeout, may have overtaken this one. */';
if (!before.includes(line)) throw new Error(`bench: ${patch} no longer has the line it edits`);
const t0 = Date.now();
await writeFile(patch, before.replace(line, '+	/* A thaw or a new timeout may have overtaken this one. */'));
const edit = await rig('edit', [series], ccache);
const editToVerdictSeconds = seconds(t0);
console.log(`one-line patch edit -> verdict              ${editToVerdictSeconds.toFixed(1)} s (target <= 60): tree ${edit.build.tree.action}, ${makeDid(edit.build)}, exit ${edit.exitCode}`);
for (const l of logLines(edit)) console.log(`    ${l}`);
const editToVerdictCompiled = compiledBy(edit.build);
console.log(`    units compiled for the edit: ${editToVerdictCompiled} (${edit.build.cache?.compiled.join(', ') ?? 'no ccache record'})`);

// 6. the default run from an empty cache: every revision's work tree and build dir gone, a new ccache.
await rm(layout.trees, { recursive: true, force: true });
const emptyCcache = join(work, 'ccache-default');
const dflt = await rig('default', [], emptyCcache);
const defaultRunColdSeconds = dflt.seconds;
const defaultRunColdRatio = defaultRunColdSeconds / bareMakeSeconds;
console.log(`default run (${dflt.report.revisions.map((r) => r.revision).join(', ')}) from an empty cache ${defaultRunColdSeconds.toFixed(1)} s  ratio ${defaultRunColdRatio.toFixed(2)} (target <= 2.5), exit ${dflt.exitCode}`);
for (const [rev, b] of Object.entries(dflt.builds)) console.log(`    ${rev.padEnd(12)} ${b.durationSeconds.toFixed(1)} s, ${makeDid(b)}`);
const second = dflt.builds['ext3-v1'];
const secondRevisionCompiled = second ? compiledBy(second) : undefined;
console.log(`    second revision (ext3-v1, fresh tree after baseline): ${secondRevisionCompiled} units compiled (target <= 30)`);

// 7. a known-bad fixture of generic-v2, in a fresh tree, right after the default run built generic-v2.
const fixture = repoPath('test/fixtures/series/bad-freeze-no-quiesce');
const fixtureStack = await loadRevision(fixture);
const own = fixtureStack.patches.filter((p) => p.layer === 'bad-freeze-no-quiesce');
const fx = await buildRevision({ layout, revision: fixtureStack }); // on the default run's ccache (CCACHE_DIR is still set)
const fixtureCompiled = compiledBy(fx);
const touched = own.flatMap((p) => patchTargets(p.text, p.strip).map((t) => t.path));
const fixtureBound = await unitsIncluding(fx.outDir, fx.tree.dir, touched);
const beyond = (fx.cache?.compiled ?? []).filter((u) => !fixtureBound.includes(u));
console.log(`fixture bad-freeze-no-quiesce after generic-v2: ${fixtureCompiled} units compiled (${fx.cache?.compiled.join(', ')}); ` +
  `${fixtureBound.length} units include what its patch touches (${[...new Set(touched)].join(', ')}); compiled beyond those: ${beyond.length ? beyond.join(', ') : 'none'}`);

// 8. virtual time against real time, from warm builds: the default run, then a one-line edit to the verdict each way
const virtualTime: Record<string, unknown> = {};
const vtRuns: Timed[] = [];
for (const clock of ['real', 'virtual'] as const) {
  const t = await rig(`default-warm-${clock}`, [], emptyCcache, clock);
  vtRuns.push(t);
  virtualTime[`defaultWarm_${clock}Seconds`] = t.seconds;
  virtualTime[`defaultWarm_${clock}Counts`] = countsOf(t);
  console.log(`default run from warm builds, ${clock} time`.padEnd(44) + ` ${t.seconds.toFixed(1)} s, ${countsOf(t)}, exit ${t.exitCode}`);
}
const vtEdits: Record<Clock, string> = { real: '+	/* A thaw, or a new timeout, may have overtaken this one (real). */', virtual: '+	/* A thaw, or a new timeout, may have overtaken this one (virtual). */' };
for (const clock of ['real', 'virtual'] as const) {
  const t1 = Date.now();
  await writeFile(patch, before.replace(line, vtEdits[clock]));
  const t = await rig(`edit-${clock}`, [series], ccache, clock);
  vtRuns.push(t);
  virtualTime[`editToVerdict_${clock}Seconds`] = seconds(t1);
  console.log(`one-line patch edit -> verdict, ${clock} time`.padEnd(44) + ` ${seconds(t1).toFixed(1)} s (target <= 25 virtual): ${makeDid(t.build)}, ${countsOf(t)}, exit ${t.exitCode}`);
}
const r = (k: string) => (virtualTime[`${k}_virtualSeconds`] as number) / (virtualTime[`${k}_realSeconds`] as number);
virtualTime.defaultWarmRatio = r('defaultWarm');
virtualTime.editToVerdictRatio = r('editToVerdict');
console.log(`virtual / real: default run from warm builds ${r('defaultWarm').toFixed(2)} (target <= 0.5), edit -> verdict ${r('editToVerdict').toFixed(2)}`);

// 5. guest time per scenario against the waits the scenario requires (warm run).
const perScenario: Record<string, { guestMs: number; requiredMs: number }> = {};
for (const rev of warm.report.revisions)
  for (const b of rev.boots)
    for (const [id, ms] of Object.entries(b.scenarioMs)) {
      const key = `${b.fs} ${id}`;
      perScenario[key] = { guestMs: ms, requiredMs: REQUIRED_WAIT_MS[id as ScenarioId] ?? 0 };
    }
const guestMs = Object.values(perScenario).reduce((n, x) => n + x.guestMs, 0);
const requiredMs = Object.values(perScenario).reduce((n, x) => n + x.requiredMs, 0);
const scenarioOverheadRatio = guestMs / requiredMs;
console.log(`guest scenario time / required waits        ${(guestMs / 1000).toFixed(1)} s / ${(requiredMs / 1000).toFixed(1)} s = ${scenarioOverheadRatio.toFixed(2)} (target <= 1.3)`);
for (const [k, v] of Object.entries(perScenario)) console.log(`    ${k.padEnd(28)} ${(v.guestMs / 1000).toFixed(2)} s  (requires ${(v.requiredMs / 1000).toFixed(2)} s)`);

const out = process.env.FREEZE_RIG_BENCH_OUT ?? 'bench.json';
await writeJsonAtomic(out, {
  machine: { cores: cpus().length, accel: warm.report.revisions[0]?.boots[0]?.accel },
  bareMakeSeconds,
  coldPipelineSeconds: cold.seconds,
  coldPipelineRatio,
  warmRerunSeconds: warm.seconds,
  warmRerun: { tree: warmTree, compiled: warmCompiled, makeRan: !warm.build.upToDate, exitCode: warm.exitCode },
  editToVerdictSeconds,
  edit: { tree: edit.build.tree.action, compiled: edit.build.compiled, exitCode: edit.exitCode },
  editToVerdictCompiled,
  defaultRunColdSeconds,
  defaultRunColdRatio,
  defaultRun: Object.fromEntries(Object.entries(dflt.builds).map(([rev, b]) => [rev, { seconds: b.durationSeconds, hits: b.cache?.hits, misses: b.cache?.misses }])),
  secondRevisionCompiled,
  fixtureCompiled,
  fixtureIncludingUnits: fixtureBound.length,
  fixtureCompiledBeyond: beyond,
  scenarioOverheadRatio,
  scenarios: perScenario,
  exitCodes: { cold: cold.exitCode, warm: warm.exitCode, edit: edit.exitCode, default: dflt.exitCode },
  virtualTime,
});
// a run that missed its expectations is evidence: its reports and consoles stay
if ([cold, warm, edit, dflt, ...vtRuns].every((t) => t.exitCode === 0)) await rm(work, { recursive: true, force: true });
else console.log(`kept for the runs that did not pass: ${work}`);
console.log(`written: ${out}`);
