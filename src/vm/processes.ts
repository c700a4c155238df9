import type { ChildProcess } from 'node:child_process';

/**
 * Every QEMU the rig starts is registered here, so Ctrl-C, a thrown error or
 * a normal exit never leaves one behind.
 */
const live = new Set<ChildProcess>();

export function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
}

export function killAll(signal: NodeJS.Signals = 'SIGKILL'): number {
  let n = 0;
  for (const c of live) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill(signal);
      n++;
    }
  }
  return n;
}

export const liveCount = () => live.size;

process.once('exit', () => killAll());
