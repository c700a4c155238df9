/**
 * Kernel make command lines, built as plain data (tested without running
 * anything). Configuring is the first stage that runs make; the kernel
 * build and the header export use the same lines.
 */

/**
 * Flags every C compile needs with Debian 12's gcc. They go inside CC, not
 * KBUILD_CFLAGS, because the boot code, the vDSO and the decompressor reset
 * KBUILD_CFLAGS and would lose them.
 */
export const GCC12_FLAGS: readonly { flag: string; why: string }[] = [
  { flag: '-fno-pie', why: "Debian's gcc defaults to PIE; 2.6.27 is not PIE-clean" },
  { flag: '-no-pie', why: 'the same, for the places kbuild links with gcc (vDSO)' },
  { flag: '-fno-stack-protector', why: "Debian's default; 2.6.27 has no canary setup for it" },
  { flag: '-fcf-protection=none', why: 'endbr64 instructions break the boot and vDSO code' },
  { flag: '-fgnu89-inline', why: 'gnu11 inline semantics break 2.6.27\'s extern inline' },
];

export interface MakeSpec {
  srcDir: string;
  outDir: string;
  targets: string[];
  jobs?: number;
  ccache?: boolean;
  /** V=1 prints whole command lines. */
  verbose?: boolean;
  /** extra VAR=value assignments, e.g. INSTALL_HDR_PATH */
  vars?: Record<string, string>;
}

export function compilerCommand(ccache = false): string {
  return [...(ccache ? ['ccache'] : []), 'gcc', ...GCC12_FLAGS.map((f) => f.flag)].join(' ');
}

/**
 * argv for `make`. KCONFIG_NOTIMESTAMP: no time of day in autoconf.h
 * (compat 0010), so that ccache hits across build dirs of one tree.
 */
export function makeArgs(s: MakeSpec): string[] {
  const args = ['-C', s.srcDir, `O=${s.outDir}`, 'ARCH=x86_64', `CC=${compilerCommand(s.ccache)}`, 'HOSTCC=gcc', 'KCONFIG_NOTIMESTAMP=1'];
  if (s.jobs) args.push(`-j${s.jobs}`);
  if (s.verbose) args.push('V=1');
  for (const [k, v] of Object.entries(s.vars ?? {})) args.push(`${k}=${v}`);
  args.push(...s.targets);
  return args;
}
