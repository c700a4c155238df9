import { Command, CommanderError } from 'commander';
import { RigError, EXIT } from './errors.ts';
import { killAll } from './vm/processes.ts';
import { runInterruptHandlers } from './util/interrupt.ts';
import { registerSource } from './commands/source.ts';
import { registerBuild } from './commands/build.ts';
import { registerDoctor } from './commands/doctor.ts';
import { registerRun } from './commands/run.ts';
import { registerCompare } from './commands/compare.ts';
import { registerReport } from './commands/report.ts';
import { registerBisect } from './commands/bisect.ts';
import { registerSeries } from './commands/series.ts';

/** The only place that exits the process. */
async function main(argv: string[]): Promise<number> {
  const program = new Command('freeze-rig')
    .description('build Linux 2.6.27 with a freeze patch series, boot it in QEMU, prove what the series promises')
    .exitOverride()
    .showHelpAfterError();
  registerSource(program);
  registerBuild(program);
  registerDoctor(program);
  registerRun(program);
  registerCompare(program);
  registerReport(program);
  registerBisect(program);
  registerSeries(program);
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (e) {
    // commander has printed its usage error; bisect asks for 125 (cannot test) instead of 2
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : e.exitCode === EXIT.cannotTest ? EXIT.cannotTest : EXIT.infrastructure;
    if (e instanceof RigError) {
      process.stderr.write(e.format() + '\n');
      return e.exitCode;
    }
    process.stderr.write(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT.infrastructure;
  }
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    const n = killAll();
    runInterruptHandlers(sig);
    // a live board hid the cursor while it drew
    if (process.stderr.isTTY) process.stderr.write('\x1b[?25h');
    process.stderr.write(`\nfreeze-rig: interrupted${n ? `; stopped ${n} QEMU process(es)` : ''}\n`);
    process.exit(130);
  });
}

process.exitCode = await main(process.argv);
