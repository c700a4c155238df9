import { excerpt, type ConsoleEvent, type ConsoleProblem } from '../vm/console.ts';
import type { ExpectedReport } from './manifest.ts';

/** What dmesg-clean reads: the whole console of one guest. */
export interface ConsoleFacts {
  lines: string[];
  problems: ConsoleProblem[];
  events: ConsoleEvent[];
}

/** The scenario that was running when console line `line` was printed. Pure. */
export function scenarioAt(events: ConsoleEvent[], line: number): string {
  let current = 'boot';
  for (const e of events) {
    if (e.line > line) break;
    if (e.data.event === 'scenario') current = String(e.data.scenario);
  }
  return current;
}

/** The locks a lockdep report lists as held ("#0:  (&journal->j_barrier){--..}"). Pure. */
export function heldLocks(lines: string[], at: number): string[] {
  const out: string[] = [];
  for (const l of lines.slice(at + 1, at + 16)) {
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
  if (unexpected.length) return { status: 'fail' as const, expected: expectedText, observed: unexpected.join('; '), console };
  return { status: 'pass' as const, expected: expectedText, observed: known.length ? known.join('; ') : 'clean' };
}
