import { execa } from 'execa';
import { commandMissing } from '../util/exec.ts';

/**
 * The host toolchain, data-driven: what each tool is, which Debian package
 * brings it, and how to read its version. doctor and the build record use it.
 */
export interface ToolSpec {
  name: string;
  debian: string;
  why: string;
  versionArgs: string[];
  /** Needed only for some steps; doctor warns instead of failing. */
  optional?: boolean;
}

export const TOOLS: ToolSpec[] = [
  { name: 'gcc', debian: 'build-essential', why: 'compiles the kernel (gcc 12 with the compat layer)', versionArgs: ['--version'] },
  { name: 'ld', debian: 'binutils', why: 'links the kernel', versionArgs: ['--version'] },
  { name: 'make', debian: 'make', why: 'runs kbuild', versionArgs: ['--version'] },
  { name: 'perl', debian: 'perl', why: 'timeconst.pl, headers_install, checkpatch.pl', versionArgs: ['-e', 'print "perl $^V\\n"'] },
  { name: 'patch', debian: 'patch', why: 'applies the compat layer and the series', versionArgs: ['--version'] },
  { name: 'bc', debian: 'bc', why: 'kernel build scripts', versionArgs: ['--version'] },
  { name: 'git', debian: 'git', why: 'imports a kernel source from a git tree', versionArgs: ['--version'] },
  { name: 'xz', debian: 'xz-utils', why: 'imports .tar.xz sources', versionArgs: ['--version'] },
  { name: 'bzip2', debian: 'bzip2', why: 'imports .tar.bz2 sources', versionArgs: ['--help'] },
  { name: 'musl-gcc', debian: 'musl-tools', why: 'builds the static guest helper (glibc static binaries say "kernel too old")', versionArgs: ['--version'] },
  { name: 'qemu-system-x86_64', debian: 'qemu-system-x86', why: 'boots the kernel', versionArgs: ['--version'] },
  { name: 'setpriv', debian: 'util-linux', why: 'ties QEMU and make to the rig: they die with it, even when it is killed with SIGKILL', versionArgs: ['--version'] },
  { name: 'qemu-img', debian: 'qemu-utils', why: 'creates sparse disk images', versionArgs: ['--version'] },
  { name: 'mkfs.ext3', debian: 'e2fsprogs', why: 'makes the ext3 test image', versionArgs: ['-V'] },
  { name: 'e2fsck', debian: 'e2fsprogs', why: 'checks the ext3 image after a run', versionArgs: ['-V'] },
  { name: 'mkfs.xfs', debian: 'xfsprogs', why: 'makes the XFS test image', versionArgs: ['-V'] },
  { name: 'xfs_repair', debian: 'xfsprogs', why: 'checks the XFS image after a run', versionArgs: ['-V'] },
  { name: 'dumpe2fs', debian: 'e2fsprogs', why: 'tells whether an ext3 snapshot needs journal recovery', versionArgs: ['-V'] },
  { name: 'debugfs', debian: 'e2fsprogs', why: 'reads files out of an ext3 snapshot without mounting it', versionArgs: ['-V'] },
  { name: 'xfs_db', debian: 'xfsprogs', why: 'reads files out of an XFS snapshot without mounting it', versionArgs: ['-V'] },
  { name: 'xfs_logprint', debian: 'xfsprogs', why: 'tells whether an XFS snapshot needs log recovery', versionArgs: ['-V'] },
  { name: 'tar', debian: 'tar', why: 'extracts work trees (GNU tar: 0.6 s where node-tar takes 13 s)', versionArgs: ['--version'] },
  { name: 'ccache', debian: 'ccache', why: 'faster rebuilds across work trees', versionArgs: ['--version'], optional: true },
];

export interface ToolStatus {
  spec: ToolSpec;
  found: boolean;
  version?: string;
}

export async function probeTool(spec: ToolSpec): Promise<ToolStatus> {
  const r = await execa(spec.name, spec.versionArgs, { reject: false, all: true, timeout: 10_000 });
  const failed = commandMissing(r) || (r.failed && r.exitCode === undefined);
  if (failed) return { spec, found: false };
  const first = (r.all ?? '').split('\n').find((l) => l.trim()) ?? '';
  return { spec, found: true, version: first.trim() };
}

export const probeTools = (specs = TOOLS) => Promise.all(specs.map(probeTool));

/** Versions that go into a build record. */
export async function toolchainVersions(): Promise<Record<string, string>> {
  const names = ['gcc', 'ld', 'make', 'perl', 'ccache'];
  const out: Record<string, string> = {};
  for (const s of await probeTools(TOOLS.filter((t) => names.includes(t.name)))) {
    out[s.spec.name === 'ld' ? 'binutils' : s.spec.name] = s.found ? s.version! : 'not installed';
  }
  return out;
}
