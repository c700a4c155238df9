/** Command lines people can paste: reproducers of make, QEMU, fsck. Pure. */

/** Quote for a POSIX shell: a reproducer command people can paste. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_\-+=.,/:@%]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export const shellLine = (argv: string[]) => argv.map(shellQuote).join(' ');

/**
 * reproducer.sh: what the rig is about to run, as a script written before
 * it starts (tuxmake's way), so a step that is killed still says how to run
 * it again. Pure.
 */
export function reproducerScript(about: string[], argv: string[], env: Record<string, string> = {}, before: string[] = []): string {
  const assigns = Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)} `).join('');
  return ['#!/bin/sh', ...about.map((l) => `# ${l}`), 'set -e', ...before, `exec ${assigns ? `env ${assigns}` : ''}${shellLine(argv)}`, ''].join('\n');
}
