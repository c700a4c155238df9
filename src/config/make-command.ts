import { relative } from 'node:path';

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
 * The kernel's own build stamp: v2.6.27's commit date and build number 1,
 * instead of the time of the build and a counter that grows with every link
 * (scripts/mkcompile_h honours both). compile.h is then the same for every
 * build of one tree, so init/version.c and what is made from vmlinux
 * (kallsyms, the setup header) are served by ccache like any other unit.
 */
export const BUILD_STAMP = {
  KBUILD_BUILD_VERSION: '1',
  KBUILD_BUILD_TIMESTAMP: 'Thu Oct 9 22:13:53 UTC 2008',
  // who and where, in the banner (compat 0013): the same bzImage on every machine and for every user
  KBUILD_BUILD_USER: 'freeze-rig',
  KBUILD_BUILD_HOST: 'freeze-rig',
};

/**
 * argv for `make`: kbuild's second stage, run in the build dir with the
 * source named relative to it (compat 0011), as the top Makefile would run
 * it for O= but for the absolute path. Every -I option, source name,
 * diagnostic and __FILE__ string then reads ../linux/... when the build dir
 * sits beside its tree, the same for every revision, so ccache serves one
 * revision's units to another and what it replays names no other tree.
 * KCONFIG_NOTIMESTAMP: no time of day in autoconf.h (compat 0010); the build
 * stamp above: none in compile.h.
 */
export function makeArgs(s: MakeSpec): string[] {
  const stamp = Object.entries(BUILD_STAMP).map(([k, v]) => `${k}=${v}`);
  const src = relative(s.outDir, s.srcDir) || '.';
  // __FILE__ tree-relative (fs/buffer.c, as an in-tree build names it): what a BUG() or WARN() prints
  const cc = `${compilerCommand(s.ccache)} -fmacro-prefix-map=${src}/=`;
  const args = ['-C', s.outDir, '-f', `${src}/Makefile`, `KBUILD_SRC=${src}`, 'ARCH=x86_64', `CC=${cc}`, 'HOSTCC=gcc', 'KCONFIG_NOTIMESTAMP=1', ...stamp];
  if (s.jobs) args.push(`-j${s.jobs}`);
  if (s.verbose) args.push('V=1');
  for (const [k, v] of Object.entries(s.vars ?? {})) args.push(`${k}=${v}`);
  args.push(...s.targets);
  return args;
}
