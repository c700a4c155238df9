import { excerpt, type ConsoleEvent, type ConsoleProblem } from '../vm/console.ts';
import type { ExpectedReport } from './manifest.ts';

/** What dmesg-clean reads: the whole console of one guest. */
export interface ConsoleFacts {
  lines: string[];
  problems: ConsoleProblem[];
  events: ConsoleEvent[];
}

/**
 * The scenario that was running when console line `line` was printed:
 * 'boot' before the first; a scenario's own until the next starts (the
 * guest thaws what it left frozen after its scenario-done); 'shutdown' once
 * the guest said it is done (a report printed at power-off is no
 * scenario's). Pure.
 */
export function scenarioAt(events: ConsoleEvent[], line: number): string {
  let current = 'boot';
  for (const e of events) {
    if (e.line > line) break;
    if (e.data.event === 'scenario') current = String(e.data.scenario);
    if (e.data.event === 'done') current = 'shutdown';
  }
  return current;
}

/**
 * The locks a lockdep report lists as held ("#0:  (&journal->j_barrier){--..}"),
 * up to its stack backtrace (an "inconsistent lock state" report lists them
 * 16 lines down). Pure.
 */
export function heldLocks(lines: string[], at: number): string[] {
  const out: string[] = [];
  for (const l of lines.slice(at + 1, at + 60)) {
    if (/^stack backtrace:/.test(l)) break;
    const m = /#\d+:\s+\((.+?)\)\{/.exec(l);
    if (m) out.push(m[1]!);
  }
  return out;
}

/** The expected report this problem is, if any. Pure. */
export function expectedFor(p: ConsoleProblem, lines: string[], expected: ExpectedReport[]): ExpectedReport | undefined {
  return expected.find((e) => {
    if (e.kind !== p.kind || !p.text.includes(e.match)) return false;
    if (!e.locks) return true;
    const held = heldLocks(lines, p.line);
    return held.length > 0 && held.every((h) => e.locks!.some((name) => h.includes(name)));
  });
}

/**
 * Whether lockdep watched this guest to its end: the guest reports
 * /proc/lockdep_stats' debug_locks after each scenario, and lockdep stops
 * after its first report, expected or not. 'on' to the end, 'off' from
 * `scenario` on, 'on-until' `scenario` when the guest stopped after it (a
 * hang or lockup: nobody knows after), or 'none' (no lockdep, or an older
 * guest). Pure.
 */
export function lockdepState(events: ConsoleEvent[]): { state: 'on' | 'none' } | { state: 'off' | 'on-until'; scenario: string } {
  const done = events.filter((e) => e.data.event === 'scenario-done' && typeof e.data.lockdep === 'number' && e.data.lockdep >= 0);
  const off = done.find((e) => e.data.lockdep === 0);
  if (off) return { state: 'off', scenario: String(off.data.scenario) };
  if (!done.length) return { state: 'none' };
  if (!events.some((e) => e.data.event === 'done')) return { state: 'on-until', scenario: String(done.at(-1)!.data.scenario) };
  return { state: 'on' };
}

/**
 * dmesg-clean: no BUG, WARNING, oops, lockdep report, soft lockup or hung
 * task in the whole run, except reports the manifest expects and explains,
 * and those inside `knownIn`: scenarios that are a known issue of the
 * revision, whose own reports are that issue's evidence, judged there.
 */
export function judgeDmesg(c: ConsoleFacts, expected: ExpectedReport[], knownIn: readonly string[] = []) {
  const unexpected: string[] = [];
  const known: string[] = [];
  let console: string[] | undefined;
  for (const p of c.problems) {
    const where = scenarioAt(c.events, p.line);
    const locks = p.kind === 'lockdep' ? heldLocks(c.lines, p.line) : [];
    const text = `${p.kind} during ${where}: ${p.text.trim()}${locks.length ? ` (held: ${locks.join(', ')})` : ''}`;
    const e = expectedFor(p, c.lines, expected);
    if (e) known.push(`${text} [expected: ${e.why}]`);
    else if (knownIn.includes(where)) known.push(`${text} [the known issue of ${where}: judged there]`);
    else {
      unexpected.push(text);
      console ??= excerpt(c.lines, p.line, 5, 25);
    }
  }
  const expectedText = expected.length
    ? `no kernel problem reports except: ${expected.map((e) => `${e.kind} "${e.match}"${e.locks ? ` holding only ${e.locks.join('/')}` : ''}`).join('; ')}`
    : 'no BUG, WARNING, oops, lockdep report, soft lockup or hung task';
  const lockdep = lockdepState(c.events);
  const watched =
    lockdep.state === 'on' ? '; lockdep on to the end'
    : lockdep.state === 'off' ? `; lockdep off from ${lockdep.scenario} on: later lock problems unseen`
    : lockdep.state === 'on-until' ? `; lockdep on through ${lockdep.scenario}, then the guest stopped`
    : '';
  const metrics: Record<string, { value: number; unit: string }> = lockdep.state === 'none' ? {} : { lockdepOnToTheEnd: { value: lockdep.state === 'on' ? 1 : 0, unit: 'yes/no' } };
  if (unexpected.length) return { status: 'fail' as const, expected: expectedText, observed: unexpected.join('; ') + watched, console, metrics };
  return { status: 'pass' as const, expected: expectedText, observed: (known.length ? known.join('; ') : 'clean') + watched, metrics };
}
