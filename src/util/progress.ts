/**
 * Progress on long steps and lines of news, through the process's board
 * (live.ts): on a terminal a live board redrawn in place; in CI logs and
 * pipes, timestamped lines, a long step's progress every few seconds.
 */
import { board } from './live.ts';

export { elapsed } from './live.ts';

export interface Progress {
  update(text: string): void;
  done(text?: string): void;
}

export function say(text: string): void {
  board().say(text);
}

export function progress(label: string): Progress {
  const a = board().activity(label);
  let lastText = '';
  return {
    update(text) {
      lastText = text;
      a.update(text);
    },
    done(text) {
      a.done(text ?? lastText);
    },
  };
}

export const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;
