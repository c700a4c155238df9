/**
 * Progress on long steps. On a terminal one line is rewritten in place; in CI
 * logs a line is printed at most every few seconds so the log stays readable.
 */
export interface Progress {
  update(text: string): void;
  done(text?: string): void;
}

/** Seconds since the rig started, on every line: where a long run spent its time. */
export const elapsed = () => (performance.now() / 1000).toFixed(1).padStart(5);

export function say(text: string): void {
  process.stderr.write(`freeze-rig [${elapsed()} s] ${text}\n`);
}

export function progress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  const tty = Boolean(stream.isTTY) && !process.env.CI;
  let last = 0;
  let lastText = '';
  return {
    update(text) {
      lastText = text;
      const now = Date.now();
      if (tty) {
        if (now - last < 100) return;
        stream.write(`\r\x1b[2K${label}: ${text}`);
      } else {
        if (now - last < 5000) return;
        stream.write(`${label}: ${text}\n`);
      }
      last = now;
    },
    done(text) {
      const final = text ?? lastText;
      stream.write(`${tty ? '\r\x1b[2K' : ''}${label}: ${final}\n`);
    },
  };
}

export const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;
