/**
 * What must happen before the process exits on SIGINT or SIGTERM (the CLI's
 * handler runs these, then exits 130): for a run, a last report.json that
 * says it was interrupted. Each is synchronous, because the process exits
 * right after. A failing one does not stop the others.
 */
const handlers = new Set<(signal: string) => void>();

/** Registers fn until the returned function is called. */
export function onInterrupt(fn: (signal: string) => void): () => void {
  handlers.add(fn);
  return () => handlers.delete(fn);
}

/** Runs every registered handler (the CLI's signal handler calls this). */
export function runInterruptHandlers(signal: string): void {
  for (const fn of [...handlers]) {
    try {
      fn(signal);
    } catch {
      // the process is about to exit: what could be written was
    }
  }
}
