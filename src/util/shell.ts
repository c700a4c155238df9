/** Command lines people can paste: reproducers of make, QEMU, fsck. Pure. */

/** Quote for a POSIX shell: a reproducer command people can paste. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_\-+=.,/:@%]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export const shellLine = (argv: string[]) => argv.map(shellQuote).join(' ');
