import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { DEFAULT_FRAGMENTS } from '../config/fragments.ts';
import { cacheLayout } from '../paths.ts';
import { DEFAULT_VMS_PER_FS, type Workload } from '../scenarios/run-scenarios.ts';
import { GUEST, isScenario, SCENARIOS, type ScenarioId } from '../scenarios/catalogue.ts';
import { standingOf, type ScenarioResult } from '../scenarios/judge.ts';
import { FILESYSTEMS, type FsName } from '../guest/disk-images.ts';
import { DEFAULT_REVISIONS, runPipeline } from '../pipeline/run.ts';
import { EXIT, expectationError, infraError, usageError } from '../errors.ts';
import { countsLine } from '../report/report-model.ts';
import { comparisonText } from '../report/compare.ts';
import { verdictText } from '../report/verdict.ts';
import { say } from '../util/progress.ts';
import { ACCEL_CHOICES, type AccelChoice } from '../vm/accel.ts';
import { parseJobs } from './build.ts';
import type { Clock } from '../vm/qemu-command.ts';
import { withBoard } from './board.ts';

export function runDirName(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
}

interface RunOpts {
  series: string[];
  scenario?: string[];
  fs?: string[];
  workload: string[];
  config?: string[];
  jobs: number;
  out?: string;
  sourceUrl?: string;
  perPatch?: boolean;
  vmsPerFs: number;
  smp?: boolean;
  accel: AccelChoice;
  clock: Clock;
  record?: boolean;
  plain?: boolean;
}

/** --clock's help: the same words for run and bisect. */
export const CLOCK_HELP = "the guests' clock: real (the host's, the default) or virtual (QEMU's instruction counter, -icount: idle waits skipped, the same verdicts; faster only where cores outnumber guests, 1.3-1.4x slower for a whole run on 2 cores; see docs/time-and-replay.md)";

/** --clock: real or virtual. */
export function parseClock(v: string): Clock {
  if (v !== 'real' && v !== 'virtual') throw usageError(`--clock ${v}: not real or virtual`, 'real: the host\'s time, the default; virtual: QEMU\'s instruction counter');
  return v;
}

/**
 * --smp with --clock virtual or --record: refused. Under -icount (which both
 * need) every SMP guest of run --smp --series generic-v3 --clock virtual
 * went silent or soft-locked right after its "hello" (2026-12-06: 13 of 13
 * guests with noapic, 20 of 20 without), so such a run could only report
 * errors of the rig. Pure.
 */
export function checkSmpClock(smp: boolean | undefined, clock: Clock | undefined, record: boolean | undefined): void {
  if (!smp || (clock !== 'virtual' && !record)) return;
  throw usageError(`--smp with ${record ? '--record' : '--clock virtual'}: SMP guests hang under QEMU's instruction counter (-icount), which ${record ? 'recording' : 'virtual time'} needs`, 'run --smp in real time (--clock real, the default, without --record); see docs/time-and-replay.md');
}

/** --config and --smp: the fragments to build with, or undefined for the default ones. Pure. */
export function fragmentsFor(config: string[] | undefined, smp: boolean | undefined): string[] | undefined {
  if (!smp) return config;
  const base = config?.length ? config : DEFAULT_FRAGMENTS;
  return base.includes('smp') ? [...base] : [...base, 'smp'];
}

/** --accel: kvm, tcg or auto. */
export function parseAccel(v: string): AccelChoice {
  if (!(ACCEL_CHOICES as readonly string[]).includes(v)) throw usageError(`--accel ${v}: not one of ${ACCEL_CHOICES.join(', ')}`, 'auto uses KVM only where a real boot proved it works here, else TCG');
  return v as AccelChoice;
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

/**
 * The workloads and their argv: everything after the first -- is split at
 * each further -- into one group per --workload, in order (a workload with
 * no group gets no arguments). Pure.
 */
export function parseWorkloads(binaries: string[], operands: string[]): Workload[] {
  const groups: string[][] = [[]];
  for (const a of operands) a === '--' ? groups.push([]) : groups[groups.length - 1]!.push(a);
  const given = operands.length ? groups.length : 0;
  if (given && !binaries.length) throw usageError(`arguments without --workload: ${operands.join(' ')}`, 'give the workload with --workload BINARY, then its arguments after --');
  if (given > binaries.length) throw usageError(`${given} argument groups (separated by --) for ${binaries.length} workload(s)`, 'one group per --workload, in the same order: --workload A --workload B -- A\'s args -- B\'s args');
  if (binaries.length > GUEST.maxWorkloads) throw usageError(`${binaries.length} workloads: at most ${GUEST.maxWorkloads} run side by side`, 'drop some --workload options');
  return binaries.map((b, i) => ({ binary: resolve(b), args: groups[i] ?? [] }));
}

/** One line per result, as a terminal shows it. Pure. */
export function resultLine(r: ScenarioResult): string {
  const text = r.status === 'skip' ? r.expected : r.observed;
  const standing = standingOf(r);
  if (standing === 'known-failed') return `KNOWN ${r.revision.padEnd(12)} ${r.fs.padEnd(5)} ${r.scenario.padEnd(21)} failed as its manifest's known issue says: ${text.split('\n')[0]!.slice(0, 120)}`;
  if (standing === 'known-passed') return `FIXED ${r.revision.padEnd(12)} ${r.fs.padEnd(5)} ${r.scenario.padEnd(21)} passed, but the manifest lists it as a known issue: update the manifest`;
  if (r.known && r.status === 'pass') return `PASS  ${r.revision.padEnd(12)} ${r.fs.padEnd(5)} ${r.scenario.padEnd(21)} an intermittent known issue (manifest) that did not show this run`;
  return `${r.status.toUpperCase().padEnd(5)} ${r.revision.padEnd(12)} ${r.fs.padEnd(5)} ${r.scenario.padEnd(21)} ${text.split('\n')[0]!.slice(0, 160)}`;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('the full pipeline: source, tree, config, build, boot, for each revision')
    .option('--series <rev...>', 'patch revisions to run (names or series directories)', [...DEFAULT_REVISIONS])
    .option('--scenario <id...>', `scenarios to run (default: all): ${SCENARIOS.join(', ')}`)
    .option('--fs <name...>', 'filesystems (default: ext3 xfs)')
    .argument('[workload-args...]', "after --, the workload's arguments ({dir} is its directory on the frozen fs), e.g. -- -d {dir} -n 3000 -p 4; with several workloads, one group each, separated by --")
    .option('--workload <binary>', `a static binary that freeze-under-load runs beside its own load (e.g. a musl fsstress); the cycles go on while it runs, ${GUEST.workloadBoundS} s at most, then its process group is killed; repeat it for up to ${GUEST.maxWorkloads} side by side`, (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--per-patch', "also build each revision after each of its patches, boot each and judge it by the revision's manifest (a patch x scenario matrix)")
    .option('--config <fragment...>', 'config fragments')
    .option('--smp', 'an SMP, preemptible kernel (kernel-config/smp.config) on two vCPUs, for the race scenarios (a build of its own)')
    .option('-j, --jobs <n>', 'make -j', parseJobs, 2)
    .option('--vms-per-fs <n>', 'guests per filesystem at most, its scenarios split between them', parseVms, DEFAULT_VMS_PER_FS)
    .option('--accel <kvm|tcg|auto>', 'the guests\' accelerator (auto: KVM where a real boot proved it works, else TCG; FREEZE_RIG_ACCEL is read only for auto)', parseAccel, 'auto')
    .option('--clock <real|virtual>', CLOCK_HELP, parseClock, 'real')
    .option('--record', "record each guest (QEMU record/replay, under -icount): a guest that fails, errs or hits a known issue keeps its log and <guest>-replay.sh, which shows its console again byte for byte without the rig (--gdb: reverse debugging)")
    .option('--out <dir>', 'run directory (default runs/<timestamp>)')
    .option('--source-url <url>', 'where to download the kernel if it is not cached')
    .option('--plain', 'plain lines with timestamps, also on a terminal (the default in CI and in a pipe)')
    .action(async (workloadArgs: string[], opts: RunOpts) => {
      checkSmpClock(opts.smp, opts.clock, opts.record);
      const workloads = parseWorkloads(opts.workload, workloadArgs);
      const later: string[] = [];
      const outcome = await withBoard(`freeze-rig run: ${opts.series.join(', ')}`, opts.plain, (live) => runPipeline(
        {
          layout: cacheLayout(),
          revisions: opts.series,
          scenarios: parseScenarios(opts.scenario),
          filesystems: parseFilesystems(opts.fs),
          workloads,
          vmsPerFs: opts.vmsPerFs,
          perPatch: opts.perPatch,
          fragments: fragmentsFor(opts.config, opts.smp),
          jobs: opts.jobs,
          sourceUrl: opts.sourceUrl,
          runDir: resolve(opts.out ?? join('runs', runDirName())),
          accel: opts.accel,
          clock: opts.clock,
          record: opts.record,
          command: ['freeze-rig', ...process.argv.slice(2)].join(' '),
        },
        // on a live board a result is news on the board, and printed in full once the board is gone
        { say, result: (r) => (live ? (say(resultLine(r).slice(0, 110)), later.push(resultLine(r))) : console.log(resultLine(r))) },
      ));
      for (const l of later) console.log(l);
      const { report, runDir } = outcome;
      // as report.html answers: the verdict and each revision by filesystem first, then what changed
      console.log(verdictText(report));
      if (report.comparison.steps.length) console.log(comparisonText(report.comparison));
      console.log(`${countsLine(report.results)}  (report: ${join(runDir, 'report.html')})`);
      if (outcome.knownFailed.length) console.log(`${outcome.knownFailed.length} known issue(s) failed as their manifests say (not counted against the verdict): ${outcome.knownFailed.map((r) => `${r.revision} ${r.fs} ${r.scenario}`).join(', ')}`);
      if (outcome.unbuildable.length) console.log(`does not build after: ${outcome.unbuildable.join(', ')}`);
      const where = `report.html, junit.xml, report.json and console logs in ${runDir}`;
      const unjudged = outcome.errored.length ? `; ${outcome.errored.length} scenario(s) could not be judged (errors of the rig, not the kernel)` : '';
      if (outcome.verdict === 'fail') throw expectationError(`${outcome.failed.length + outcome.unbuildable.length} scenario(s) or patch build(s) did not meet their revision's expectations${unjudged}`, { hint: where });
      if (outcome.verdict === 'error')
        throw infraError(`every scenario judged met its revision's expectations, but ${outcome.errored.length} could not be judged: errors of the rig, not the kernel (${outcome.errored.map((r) => `${r.revision} ${r.fs} ${r.scenario}`).join(', ')})`, {
          hint: `the report says why for each, and none of it is evidence about the kernel: ${where}`,
          exit: EXIT.unjudged,
        });
    });
}
