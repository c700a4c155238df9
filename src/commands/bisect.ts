import { CommanderError, type Command } from 'commander';
import { join, resolve } from 'node:path';
import { cacheLayout } from '../paths.ts';
import { EXIT, expectationError, infraError, RigError, usageError } from '../errors.ts';
import { bisect, type BisectOutcome } from '../pipeline/bisect.ts';
import type { ScenarioId } from '../scenarios/catalogue.ts';
import { say } from '../util/progress.ts';
import { checkSmpClock, fragmentsFor, parseAccel, parseFilesystems, parseScenarios, CLOCK_HELP, parseClock, runDirName } from './run.ts';
import type { AccelChoice } from '../vm/accel.ts';
import type { Clock } from '../vm/qemu-command.ts';
import { parseJobs } from './build.ts';
import { withBoard } from './board.ts';

interface BisectOpts {
  series: string;
  scenario: string;
  fs?: string[];
  tries: number;
  good?: number;
  at?: number;
  config?: string[];
  smp?: boolean;
  jobs: number;
  out?: string;
  sourceUrl?: string;
  accel: AccelChoice;
  clock: Clock;
  record?: boolean;
  plain?: boolean;
}

/** --tries, --good, --at: a whole number from 1 up. */
export function parseCount(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw usageError(`${flag} ${v}: not a whole number from 1 up`, flag === '--tries' ? 'how many times a passing prefix is run before it counts as good (races need several)' : 'a patch number of the revision, 1 for its first patch');
    return n;
  };
}

/** Whatever stops a bisect but the kernel is "cannot test" (125) to git bisect run, which reads 2 as bad. */
function untestable(e: unknown): unknown {
  return e instanceof RigError && e.kind !== 'expectation' ? new RigError(e.message, { kind: e.kind, hint: e.hint, details: e.details, cause: e, exit: EXIT.cannotTest }) : e;
}

/** An option parser whose bad input is "cannot test" too (it throws before the command runs). */
const parsedOr125 =
  <T>(parse: (v: string) => T) =>
  (v: string): T => {
    try {
      return parse(v);
    } catch (e) {
      throw untestable(e);
    }
  };

/** What bisect prints at the end, and the console lines of the first failure. Pure. */
export function bisectReport(o: BisectOutcome): string[] {
  const lines = [`${o.summary}`];
  if (o.culprit) lines.push(`  ${o.culprit.subject}`);
  const failure = o.culprit ? o.probes.find((p) => p.k === o.culprit!.k) : o.probes.at(-1);
  if (failure?.failure && o.verdict !== 'good') {
    lines.push(`its first failure: ${failure.failure.fs} ${failure.failure.scenario}: ${failure.failure.observed.split('\n')[0]}`);
    for (const c of failure.failure.console ?? []) lines.push(`  | ${c}`);
    if (failure.reproducer) lines.push(`reproduce: ${failure.reproducer}`);
  }
  lines.push(`probes: ${o.probes.map((p) => `${p.k}/${o.n} ${p.verdict}${p.runs > 1 ? ` (${p.runs} runs)` : ''}`).join(', ') || 'none'}`);
  return lines;
}

export function registerBisect(program: Command): void {
  program
    .command('bisect')
    // git bisect run reads 2 as bad: a usage error (a missing --scenario, an unknown option) is "cannot test"
    .exitOverride((err) => {
      throw err.exitCode === 0 ? err : new CommanderError(EXIT.cannotTest, err.code, err.message);
    })
    .description("find the first patch of a revision after which a scenario stops meeting the revision's manifest (exit 0 good, 1 bad, 125 cannot test: as git bisect run reads them)")
    .requiredOption('--series <rev>', 'the revision (a name or a series directory)')
    .requiredOption('--scenario <id>', 'the scenario to judge')
    .option('--fs <name...>', 'filesystems (default: ext3 xfs; bad if it misses on either)')
    .option('--tries <n>', 'runs a prefix must pass to count as good (for races)', parsedOr125(parseCount('--tries')), 1)
    .option('--good <k>', 'a patch number after which the scenario is believed to pass (checked, not trusted)', parsedOr125(parseCount('--good')))
    .option('--at <k>', 'test the tree after patch k only, and exit 0, 1 or 125 (a step for git bisect run)', parsedOr125(parseCount('--at')))
    .option('--config <fragment...>', 'config fragments')
    .option('--smp', 'an SMP, preemptible kernel on two vCPUs')
    .option('-j, --jobs <n>', 'make -j', parsedOr125(parseJobs), 2)
    .option('--accel <kvm|tcg|auto>', "the guests' accelerator", parsedOr125(parseAccel), 'auto')
    .option('--clock <real|virtual>', CLOCK_HELP, parsedOr125(parseClock), 'real')
    .option('--record', 'record the guests (QEMU record/replay): a failing probe is replayed from its recording before it counts, and the bisect says whether it printed the same console; each bad probe keeps its <guest>-replay.sh')
    .option('--plain', 'plain lines with timestamps, also on a terminal')
    .option('--out <dir>', 'where the guests, kept kernels and bisect.json go (default runs/bisect-<timestamp>)')
    .option('--source-url <url>', 'where to download the kernel if it is not cached')
    .action(async (opts: BisectOpts) => {
      checkSmpClock(opts.smp, opts.clock, opts.record);
      const runDir = resolve(opts.out ?? join('runs', `bisect-${runDirName()}`));
      let o: BisectOutcome;
      try {
        const [scenario] = parseScenarios([opts.scenario]) as ScenarioId[];
        const filesystems = parseFilesystems(opts.fs);
        o = await withBoard(`freeze-rig bisect: ${opts.scenario} in ${opts.series}`, opts.plain, () =>
          bisect({ layout: cacheLayout(), revision: opts.series, scenario: scenario!, filesystems, tries: opts.tries, good: opts.good, at: opts.at, fragments: fragmentsFor(opts.config, opts.smp), jobs: opts.jobs, sourceUrl: opts.sourceUrl, runDir, accel: opts.accel, clock: opts.clock, record: opts.record }, say),
        );
      } catch (e) {
        throw untestable(e);
      }
      const [head, ...rest] = bisectReport(o);
      if (o.verdict === 'good') {
        for (const l of [head!, ...rest]) console.log(l);
        return;
      }
      const hint = `guests, kept kernels and bisect.json in ${runDir}`;
      if (o.verdict === 'bad') throw expectationError(head!, { details: rest, hint });
      throw infraError(head!, { details: rest, hint, exit: EXIT.cannotTest });
    });
}
