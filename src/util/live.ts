/**
 * Where the rig tells what it is doing: a board of activities (a build, a
 * guest, each with its state) and lines (findings, results).
 *
 * Plain (CI, a pipe, --plain): timestamped lines, a long step's progress
 * every few seconds. Live (a terminal): listr2 draws one task, the run,
 * with one line per activity under it, redrawn in place (a spinner while
 * it runs, its state and seconds), and the last lines said below them; the
 * lines that matter after the run (results, the verdict) are printed once
 * the board closes.
 */
import { Listr, type ListrTaskWrapper } from 'listr2';

export interface Activity {
  update(text: string): void;
  done(text: string): void;
  fail(text: string): void;
}

export interface Board {
  say(text: string): void;
  activity(title: string): Activity;
  /** stop drawing (live: leave the final board on the terminal) */
  close(): Promise<void>;
}

/** Seconds since the rig started, on every plain line: where a long run spent its time. */
export const elapsed = () => (performance.now() / 1000).toFixed(1).padStart(5);

/** Timestamped lines on stderr; progress at most every 5 s (a CI log stays readable). */
export function plainBoard(stream: NodeJS.WritableStream = process.stderr): Board {
  const line = (text: string) => stream.write(`freeze-rig [${elapsed()} s] ${text}\n`);
  return {
    say: line,
    activity(title) {
      let last = 0;
      return {
        update(text) {
          if (Date.now() - last < 5000) return;
          last = Date.now();
          line(`${title}: ${text}`);
        },
        done: (text) => line(`${title}: ${text}`),
        fail: (text) => line(`${title}: FAILED: ${text}`),
      };
    },
    close: async () => undefined,
  };
}

interface Row {
  title: string;
  state: 'running' | 'done' | 'failed';
  text: string;
  started: number;
  ended?: number;
}

const SPIN = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * The board's lines: every running activity, the last few that ended (the
 * older ones counted in one line, so that a run of forty guests fits a
 * terminal), then the last things said. Pure.
 */
export function boardLines(rows: readonly Row[], said: readonly string[], now: number, frame = 0, keepEnded = 4): string[] {
  const secs = (r: Row) => `${(((r.ended ?? now) - r.started) / 1000).toFixed(0)} s`;
  const mark = (r: Row) => (r.state === 'done' ? '✔' : r.state === 'failed' ? '✖' : SPIN[frame % SPIN.length]!);
  const ended = rows.filter((r) => r.state !== 'running').sort((a, b) => a.ended! - b.ended!);
  const hidden = new Set(ended.slice(0, Math.max(0, ended.length - keepEnded)));
  const failed = [...hidden].filter((r) => r.state === 'failed').length;
  const summary = hidden.size ? [`✔ ${hidden.size} more ended${failed ? ` (${failed} failed)` : ''}`] : [];
  return [...summary, ...rows.filter((r) => !hidden.has(r)).map((r) => `${mark(r)} ${r.title}: ${r.text} (${secs(r)})`), ...said.map((s) => `  ${s}`)];
}

/** listr2's default renderer, drawing the board as its one task's output. */
export function liveBoard(title: string, keepSaid = 6): Board {
  const rows: Row[] = [];
  const said: string[] = [];
  let task: ListrTaskWrapper<unknown, never, never> | undefined;
  let frame = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const draw = () => {
    if (task) task.output = boardLines(rows, said, Date.now(), frame++).join('\n');
  };
  const listr = new Listr(
    [
      {
        title,
        task: async (_ctx, t) => {
          task = t as never;
          draw();
          await finished;
          draw();
        },
        rendererOptions: { outputBar: true, persistentOutput: true },
      },
    ],
    { renderer: 'default', rendererOptions: { lazy: false }, exitOnError: false, registerSignalListeners: false },
  );
  const running = listr.run();
  const tick = setInterval(draw, 250);
  tick.unref();
  return {
    say(text) {
      said.push(text);
      if (said.length > keepSaid) said.shift();
      draw();
    },
    activity(name) {
      const row: Row = { title: name, state: 'running', text: 'starting', started: Date.now() };
      rows.push(row);
      draw();
      const end = (state: Row['state'], text: string) => {
        Object.assign(row, { state, text, ended: Date.now() });
        draw();
      };
      return { update: (text) => ((row.text = text), draw()), done: (text) => end('done', text), fail: (text) => end('failed', text) };
    },
    async close() {
      clearInterval(tick);
      finish();
      await running;
    },
  };
}

let current: Board = plainBoard();

/** The board every say() and progress() of this process goes to. */
export const board = () => current;

/** Sets the board (the CLI, once it knows the output is a terminal); returns the one it replaced. */
export function useBoard(b: Board): Board {
  const before = current;
  current = b;
  return before;
}

/** A live board only where both outputs are a terminal, and not in CI or when asked for plain lines. Pure. */
export const wantsLive = (o: { stdoutTTY: boolean; stderrTTY: boolean; ci: boolean; plain: boolean }) => o.stdoutTTY && o.stderrTTY && !o.ci && !o.plain;
