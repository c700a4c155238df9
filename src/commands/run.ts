import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { cacheLayout } from '../paths.ts';
import { buildRevision } from '../pipeline/build-revision.ts';
import { DEFAULT_VMS_PER_FS, runScenarios } from '../pipeline/run-scenarios.ts';
import { prepareGuestKit, type GuestKit } from '../guest/guest-kit.ts';
import type { WorkTree } from '../tree/work-tree.ts';
import { isScenario, SCENARIOS, type ScenarioId } from '../scenarios/catalogue.ts';
import type { ScenarioResult } from '../scenarios/judge.ts';
import { FILESYSTEMS, type FsName } from '../guest/disk-images.ts';
import { loadManifest } from '../scenarios/manifest.ts';
import { loadStack, revisionDir } from '../pipeline/revisions.ts';
import { buildPerPatch } from '../pipeline/per-patch.ts';
import { patchRecords, revisionDelta } from '../pipeline/patch-records.ts';
import { expectationError, usageError } from '../errors.ts';
import { writeJsonAtomic } from '../util/atomic.ts';
import { hostname } from 'node:os';
import { buildReport, countsLine, type RevisionRun } from '../report/report-model.ts';
import { writeReport } from '../report/write-report.ts';
import { comparisonText } from '../report/compare.ts';
import { say } from '../util/progress.ts';
import { parseJobs } from './build.ts';
import { cacheLine } from '../build/ccache.ts';

export function runDirName(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
}

/** The revisions `npm run rig` compares when none are named. */
export const DEFAULT_REVISIONS = ['baseline', 'ext3-v1', 'generic-v2'] as const;

interface RunOpts {
  series: string[];
  scenario?: string[];
  fs?: string[];
  workload?: string;
  workloadArg: string[];
  config?: string[];
  jobs: number;
  out?: string;
  sourceUrl?: string;
  perPatch?: boolean;
  vmsPerFs: number;
}

/** --vms-per-fs: at most 1 to 6 guests per filesystem. */
export function parseVms(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 6) throw usageError(`--vms-per-fs ${v}: not a whole number from 1 to 6`, `the guests of one filesystem split its scenarios between them; ${DEFAULT_VMS_PER_FS} suits 2 cores`);
  return n;
}

export function parseScenarios(ids?: string[]): ScenarioId[] | undefined {
  if (!ids?.length) return undefined;
  const bad = ids.filter((i) => !isScenario(i));
  if (bad.length) throw usageError(`unknown scenario ${bad.join(', ')}`, `scenarios: ${SCENARIOS.join(', ')}`);
  return SCENARIOS.filter((s) => ids.includes(s));
}

export function parseFilesystems(names?: string[]): FsName[] | undefined {
  if (!names?.length) return undefined;
  const bad = names.filter((n) => !FILESYSTEMS.includes(n as FsName));
  if (bad.length) throw usageError(`unknown filesystem ${bad.join(', ')}`, `filesystems: ${FILESYSTEMS.join(', ')}`);
  return names as FsName[];
}

/** One line per result, as a terminal shows it. Pure. */
export function resultLine(r: ScenarioResult): string {
  const text = r.status === 'skip' ? r.expected : r.observed;
  return `${r.status.toUpperCase().padEnd(5)} ${r.revision.padEnd(12)} ${r.fs.padEnd(5)} ${r.scenario.padEnd(21)} ${text.split('\n')[0]!.slice(0, 160)}`;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('the full pipeline: source, tree, config, build, boot, for each revision')
    .option('--series <rev...>', 'patch revisions to run (names or series directories)', [...DEFAULT_REVISIONS])
    .option('--scenario <id...>', `scenarios to run (default: all): ${SCENARIOS.join(', ')}`)
    .option('--fs <name...>', 'filesystems (default: ext3 xfs)')
    .option('--workload <binary>', 'a static binary that freeze-under-load runs beside its own load (e.g. a musl fsstress)')
    .option('--workload-arg <arg...>', 'its arguments; {dir} is its directory on the frozen fs', [])
    .option('--per-patch', "also build each revision after each of its patches (bisectability)")
    .option('--config <fragment...>', 'config fragments')
    .option('-j, --jobs <n>', 'make -j', parseJobs, 2)
    .option('--vms-per-fs <n>', 'guests per filesystem at most, its scenarios split between them', parseVms, DEFAULT_VMS_PER_FS)
    .option('--out <dir>', 'run directory (default runs/<timestamp>)')
    .option('--source-url <url>', 'where to download the kernel if it is not cached')
    .action(async (opts: RunOpts) => {
      const layout = cacheLayout();
      const scenarios = parseScenarios(opts.scenario);
      const filesystems = parseFilesystems(opts.fs);
      const workload = opts.workload ? { binary: resolve(opts.workload), args: opts.workloadArg } : undefined;
      const runDir = resolve(opts.out ?? join('runs', runDirName()));
      const revisions: RevisionRun[] = [];
      const createdAt = new Date().toISOString();
      const command = ['freeze-rig', ...process.argv.slice(2)].join(' ');
      const report = (complete: boolean) => buildReport({ createdAt, hostname: hostname(), command, runs: revisions, complete });
      const buildOpts = { layout, fragments: opts.config, jobs: opts.jobs, sourceUrl: opts.sourceUrl };
      // Every revision is compared with baseline's build: warnings it adds, size it changes.
      const base = await buildRevision({ ...buildOpts, revision: 'baseline' });
      for (const revision of opts.series) {
        const manifest = await loadManifest(revisionDir(revision).dir);
        const steps = opts.perPatch ? await buildPerPatch({ ...buildOpts, revision }) : [];
        // the guest helper is made while the kernel compiles: it needs only the patched tree
        let guestKit: Promise<GuestKit> | undefined;
        const onTree = (tree: WorkTree) => {
          guestKit = prepareGuestKit(layout, tree);
          guestKit.catch(() => undefined); // awaited by runScenarios; a failed build must not leave it unhandled
        };
        const rec = revision === 'baseline' ? base : await buildRevision({ ...buildOpts, revision, onTree });
        // checkpatch runs while the guests boot: the guests mostly wait
        const guests = runScenarios(rec, manifest, runDir, { scenarios, filesystems, workload, vmsPerFs: opts.vmsPerFs, guestKit });
        guests.catch(() => undefined); // awaited below; a failure of checkpatch first must not leave it unhandled
        const patches = (await patchRecords(rec, (await loadStack(revision)).patches)).map((p) => ({ ...p, ...steps.find((s) => s.layer === p.layer && s.name === p.name) }));
        const delta = revisionDelta(base, rec);
        for (const p of patches) {
          const cp = 'errors' in p.checkpatch ? `checkpatch ${p.checkpatch.errors} errors, ${p.checkpatch.warnings} warnings` : 'checkpatch did not run';
          say(`${revision}: ${p.name}: ${cp}${p.applied.fuzz.length ? `, FUZZ in ${p.applied.fuzz.length} hunks` : ''}${p.build ? `, ${p.build.ok ? 'builds' : 'DOES NOT BUILD'}` : ''}`);
        }
        if (revision !== 'baseline') say(`${revision}: ${delta.newWarnings ? `${delta.newWarnings.length} new warnings` : `new warnings unknown (${delta.why})`}, vmlinux text ${delta.size?.text ?? '?'} B, data ${delta.size?.data ?? '?'} B against baseline`);
        say(`${rec.revision}: ${rec.upToDate ? `build up to date, make not run (${rec.durationSeconds.toFixed(1)} s)` : `built in ${rec.durationSeconds.toFixed(1)} s${rec.cache ? ` (${cacheLine(rec.cache)})` : ''}`}; its guests are booting`);
        const { results, boots } = await guests;
        for (const r of results) console.log(resultLine(r));
        revisions.push({ revision: rec.revision, summary: manifest.summary, build: rec, patches, delta, boots, results });
        // a revision named by its path is filed under its name, as runScenarios files its guests
        await writeJsonAtomic(join(runDir, rec.revision, 'build.json'), rec);
        // after each revision: a run stopped later still leaves a report, marked incomplete
        await writeReport(runDir, report(false));
      }
      const all = revisions.flatMap((r) => r.results);
      const final = report(true);
      await writeReport(runDir, final);
      if (final.comparison.steps.length) console.log(comparisonText(final.comparison));
      console.log(`${countsLine(all)}  (report: ${join(runDir, 'report.html')})`);
      const unbuildable = revisions.flatMap((r) => r.patches.filter((p) => p.build && !p.build.ok).map((p) => `${r.revision}: ${p.name}`));
      if (unbuildable.length) console.log(`does not build after: ${unbuildable.join(', ')}`);
      const bad = [...all.filter((r) => r.status === 'fail' || r.status === 'error'), ...unbuildable];
      if (bad.length) throw expectationError(`${bad.length} scenario(s) or patch build(s) did not meet their revision's expectations`, { hint: `report.html, junit.xml, report.json and console logs in ${runDir}` });
    });
}
