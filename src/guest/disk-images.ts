import { open, rm } from 'node:fs/promises';
import { execa } from 'execa';
import { infraError } from '../errors.ts';
import { shellLine, shellQuote } from '../util/shell.ts';

export type FsName = 'ext3' | 'xfs';

/** The filesystems the rig tests, in the order runs and reports list them. */
export const FILESYSTEMS: readonly FsName[] = ['ext3', 'xfs'];

/** Sizes: XFS v4 needs at least 300 MiB; images are sparse. */
export const IMAGE_MIB: Record<FsName, number> = { ext3: 64, xfs: 320 };

/**
 * dm-snapshot's filesystem (dm's origin), which the guest reads whole for
 * each snapshot's copy: 320 MiB took a TCG guest 6 s alone and 18 s beside
 * nine others, so XFS gets 128 MiB there (room for its ~35 MiB of writes).
 */
export const DM_ORIGIN_MIB: Record<FsName, number> = { ext3: 64, xfs: 128 };

/**
 * The environment mkfs runs in. mkfs.xfs 5.19+ refuses a filesystem under
 * 300 MiB unless it runs under fstests (TEST_DIR, TEST_DEV and
 * QA_CHECK_FS set), which is what the rig is; 2.6.27 mounts small ones. Pure.
 */
export function mkfsEnv(fs: FsName, mib: number): Record<string, string> {
  const small: Record<string, string> = fs === 'xfs' && mib < 300 ? { TEST_DIR: '/nonexistent', TEST_DEV: '/nonexistent', QA_CHECK_FS: '1' } : {};
  return { TZ: 'UTC', ...small };
}

/**
 * mkfs command lines, as data. Modern mkfs.xfs makes filesystems 2.6.27
 * cannot mount ("XFS: bad version"): these flags give a v4 filesystem it can.
 */
export function mkfsArgs(fs: FsName, image: string): string[] {
  if (fs === 'ext3') return ['mkfs.ext3', '-F', '-q', image];
  return [
    'mkfs.xfs', '-f', '-q',
    '-m', 'crc=0,finobt=0,rmapbt=0,reflink=0,bigtime=0,inobtcount=0',
    '-i', 'sparse=0,projid32bit=0',
    '-n', 'ftype=0',
    image,
  ];
}

/**
 * Read-only checks of an image after the guest shut down, as data: -n never
 * writes, and -f (e2fsck) checks even a filesystem marked clean. Exit 0 = clean.
 */
export function fsckArgs(fs: FsName, image: string): string[] {
  return fs === 'ext3' ? ['e2fsck', '-fn', image] : ['xfs_repair', '-n', image];
}

/** A disk of a scenario's own, after vda: made by mkfs, or blank; a copy's disk names the label the guest exports it as. */
export interface ScenarioDisk {
  scenario: string;
  file: string;
  mib: number;
  mkfs: boolean;
  exportOf?: string;
}

/**
 * The disks a scenario gets after vda, in the order rig/guest names them.
 * dm-snapshot: a second filesystem under test (dm's origin), a COW disk for
 * each of its two snapshots, and a disk for each snapshot's copy, which the
 * host checks (COW disks hold what the writers change after a snapshot, at
 * most ~40 MiB). freeze-io-error: the filesystem whose freeze meets
 * injected write errors, and a disk for its copy while frozen.
 * frozen-isolation: the other filesystem, which takes writes. Pure.
 */
export function scenarioDisks(scenario: string, fs: FsName, dir: string, name: string): ScenarioDisk[] {
  const at = (role: string) => `${dir}/${name}-${role}.img`;
  const small = DM_ORIGIN_MIB[fs];
  if (scenario === 'dm-snapshot') {
    return [
      { scenario, file: at('dm-origin'), mib: small, mkfs: true },
      { scenario, file: at('dm-cow-a'), mib: 128, mkfs: false },
      { scenario, file: at('dm-cow-b'), mib: 128, mkfs: false },
      { scenario, file: at('dm-export-a'), mib: small, mkfs: false, exportOf: 'a' },
      { scenario, file: at('dm-export-b'), mib: small, mkfs: false, exportOf: 'b' },
    ];
  }
  if (scenario === 'frozen-isolation') return [{ scenario, file: at('iso-fs'), mib: small, mkfs: true }];
  if (scenario === 'freeze-io-error') {
    return [
      { scenario, file: at('ioerr-fs'), mib: small, mkfs: true },
      { scenario, file: at('ioerr-export'), mib: small, mkfs: false, exportOf: 'frozen' },
    ];
  }
  return [];
}

/**
 * A guest's disks after vda for the scenarios it runs, and the kernel
 * parameter that tells the guest where each scenario's start
 * (freeze_rig.disks=ID:N,..., vda = 0). Pure.
 */
export function guestDisks(scenarios: readonly string[], fs: FsName, dir: string, name: string): { disks: ScenarioDisk[]; param?: string } {
  const disks: ScenarioDisk[] = [];
  const starts: string[] = [];
  for (const s of scenarios) {
    const own = scenarioDisks(s, fs, dir, name);
    if (!own.length) continue;
    starts.push(`${s}:${1 + disks.length}`);
    disks.push(...own);
  }
  return starts.length ? { disks, param: `freeze_rig.disks=${starts.join(',')}` } : { disks };
}

/**
 * A reproducer's line that makes a disk again if the run deleted it (the
 * image of a guest whose scenarios all passed, a scenario's own disk): the
 * same size, and the same mkfs when fs is given. Pure.
 */
export function remakeDiskLine(file: string, mib: number, fs?: FsName): string {
  const env = fs ? Object.entries(mkfsEnv(fs, mib)).map(([k, v]) => `${k}=${v}`) : [];
  const make = [`truncate -s ${mib}M ${shellQuote(file)}`, ...(fs ? [shellLine(['env', ...env, ...mkfsArgs(fs, file)])] : [])];
  return `[ -e ${shellQuote(file)} ] || { ${make.join(' && ')}; }`;
}

/** A sparse image of zeros (a COW disk, an export disk). */
export async function makeBlank(image: string, mib: number): Promise<void> {
  await rm(image, { force: true });
  const fh = await open(image, 'w');
  await fh.truncate(mib * 1024 * 1024);
  await fh.close();
}

/** A fresh sparse image with a new filesystem (IMAGE_MIB unless told). */
export async function makeImage(fs: FsName, image: string, mib = IMAGE_MIB[fs]): Promise<void> {
  await makeBlank(image, mib);
  const [cmd, ...args] = mkfsArgs(fs, image);
  // mkfs.xfs prints a V4 deprecation warning: kept in the error only.
  const r = await execa(cmd!, args, { reject: false, all: true, env: mkfsEnv(fs, mib) });
  if (r.exitCode !== 0) throw infraError(`${cmd} failed on ${image}`, { details: (r.all ?? '').split('\n').slice(-10), hint: 'apt-get install e2fsprogs xfsprogs' });
}
