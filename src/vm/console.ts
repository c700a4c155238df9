/**
 * Strict reading of the guest's serial console. Lines behind the helper's
 * prefix are results (one JSON object each); everything else is the kernel,
 * scanned for the ways a kernel goes wrong. Pure.
 */
export const RESULT_PREFIX = '@freeze-rig ';

export type ProblemKind = 'panic' | 'oops' | 'bug' | 'lockdep' | 'soft-lockup' | 'hung-task' | 'object-debug' | 'slab' | 'warning';

export interface ConsoleProblem {
  kind: ProblemKind;
  /** index of the line in the console */
  line: number;
  text: string;
}

export interface ConsoleEvent {
  line: number;
  data: Record<string, unknown>;
}

const PATTERNS: [ProblemKind, RegExp][] = [
  ['panic', /Kernel panic - not syncing/],
  ['soft-lockup', /BUG: soft lockup/],
  ['hung-task', /INFO: task .+ blocked for more than \d+ seconds/],
  ['lockdep', /\[ (INFO|BUG): .*(lock|locking|deadlock|recursive|circular|inconsistent).*\]|possible (circular|recursive) locking|lock held when returning to user space/],
  ['oops', /Oops: |general protection fault|[Uu]nable to handle kernel (NULL pointer dereference|paging request)/],
  ['bug', /(^|\] )(kernel )?BUG: |kernel BUG at /],
  // DEBUG_OBJECTS: a timer or work item freed, re-initialised or activated in the wrong state
  ['object-debug', /ODEBUG: (?!selftest passed)/],
  // DEBUG_SLAB: a freed object written to (its poison changed), a red zone overwritten, a double free
  ['slab', /Slab corruption|slab error in |Redzone: 0x|double free/],
  ['warning', /WARNING: at /],
];

/** Strip a printk timestamp "[    1.234567] ". */
export const stripTimestamp = (line: string) => line.replace(/^\[\s*\d+\.\d+\]\s?/, '');

export function classifyLine(line: string): ProblemKind | undefined {
  const text = stripTimestamp(line);
  for (const [kind, re] of PATTERNS) if (re.test(text)) return kind;
  return undefined;
}

export interface ParsedConsole {
  events: ConsoleEvent[];
  problems: ConsoleProblem[];
  /** prefix lines that are not valid JSON objects: the protocol was broken */
  malformed: { line: number; text: string }[];
}

/**
 * Where the JSON object at the start of s ends (the index after its closing
 * brace), or -1. Kernel output can land right behind a helper's line: the
 * helper's text waits in the tty buffer while printk writes to the UART
 * directly. Pure.
 */
export function jsonObjectEnd(s: string): number {
  if (!s.startsWith('{')) return -1;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
  }
  return -1;
}

export function parseConsoleLine(state: ParsedConsole, raw: string, index: number): void {
  const line = raw.replace(/\r$/, '');
  const at = line.indexOf(RESULT_PREFIX);
  if (at < 0) {
    const kind = classifyLine(line);
    if (kind) state.problems.push({ kind, line: index, text: line });
    return;
  }
  // kernel text around a result is still the kernel's, and still scanned
  const kernel = (text: string) => {
    const kind = text.trim() ? classifyLine(text) : undefined;
    if (kind) state.problems.push({ kind, line: index, text });
  };
  kernel(line.slice(0, at));
  parseResults(state, line, line.slice(at + RESULT_PREFIX.length), index, kernel);
}

/**
 * One result object from body, then what follows it: kernel text, or a
 * next result line that lost its newline and the start of its prefix on the
 * way ('..."t":3059.6}eeze-rig {"event":...}', a default run of 2026-12-01),
 * whose object is whole and is taken as it is.
 */
function parseResults(state: ParsedConsole, line: string, body: string, index: number, kernel: (text: string) => void): void {
  const end = jsonObjectEnd(body);
  try {
    const data = JSON.parse(end > 0 ? body.slice(0, end) : body) as unknown;
    if (data && typeof data === 'object' && !Array.isArray(data)) {
      state.events.push({ line: index, data: data as Record<string, unknown> });
      const rest = end > 0 ? body.slice(end) : '';
      const next = rest.indexOf('{"event":');
      if (next < 0) return kernel(rest);
      kernel(rest.slice(0, next).replace(/@?f?r?e?e?z?e?-?r?i?g? ?$/, ''));
      return parseResults(state, line, rest.slice(next), index, kernel);
    }
  } catch {
    /* fall through */
  }
  state.malformed.push({ line: index, text: line });
}

export function parseConsole(text: string): ParsedConsole {
  const state: ParsedConsole = { events: [], problems: [], malformed: [] };
  text.split('\n').forEach((l, i) => parseConsoleLine(state, l, i));
  return state;
}

/** The console lines around a line, for a report a human reads. */
export function excerpt(lines: string[], at: number, before = 10, after = 20): string[] {
  return lines.slice(Math.max(0, at - before), Math.min(lines.length, at + after + 1));
}

/**
 * What a hang report needs from a sysrq-t/sysrq-d dump that starts at line
 * `from`: the stacks of tasks in D state and the list of held locks, not
 * the hundreds of sleeping kernel threads around them (and any task
 * alsoTask names, e.g. the guest helper's own). Pure.
 */
export function blockedTasksExcerpt(lines: string[], from: number, max = 200, alsoTask: (name: string) => boolean = () => false): string[] {
  const out: string[] = [stripTimestamp((lines[from] ?? '').replace(/\r$/, ''))];
  let keep = false;
  let locks = false;
  for (const raw of lines.slice(from + 1)) {
    const line = stripTimestamp(raw.replace(/\r$/, ''));
    if (line.includes(RESULT_PREFIX)) break;
    const task = /^(\S+)\s+([RSDTtZX])\s+(running|[0-9a-f]{16})/.exec(line);
    if (task) keep = task[2] === 'D' || alsoTask(task[1]!);
    if (/^Showing all locks held/.test(line)) locks = true;
    if (/^Sched Debug Version/.test(line)) keep = false;
    if ((keep || locks) && !/^ [0-9a-f]{16} /.test(line)) out.push(line);
    if (out.length >= max) break;
  }
  return out;
}
