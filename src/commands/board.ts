import { liveBoard, useBoard, wantsLive } from '../util/live.ts';

/**
 * Runs a command's work under a live board where the output is a terminal
 * (both stdout and stderr, no CI, no --plain), else as plain lines. fn is
 * told which, so that it keeps lines for after the board (live) or prints
 * them at once (plain).
 */
export async function withBoard<T>(title: string, plain: boolean | undefined, fn: (live: boolean) => Promise<T>): Promise<T> {
  const live = wantsLive({ stdoutTTY: Boolean(process.stdout.isTTY), stderrTTY: Boolean(process.stderr.isTTY), ci: Boolean(process.env.CI), plain: Boolean(plain) });
  if (!live) return fn(false);
  const board = liveBoard(title);
  const before = useBoard(board);
  try {
    return await fn(true);
  } finally {
    await board.close();
    useBoard(before);
  }
}
