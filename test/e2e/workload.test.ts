/**
 * A user's workload in freeze-under-load, on a real kernel in QEMU, as
 * fstests runs fsstress beside its freezes: one that forks children,
 * ignores SIGTERM and outlives the cycles (killed with its process group at
 * its bound, the fs unmounted, nothing blamed on the kernel), one whose
 * child escapes its process group and keeps the fs busy (an error of the
 * rig, naming the holder), and one that exits 3 at once (its status and its
 * own words in the result).
 */
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheLayout, repoPath } from '../../src/paths.ts';
import { readCachedSource } from '../../src/source/cache.ts';
import { LINUX_2_6_27 } from '../../src/source/linux-2.6.27.ts';
import { buildRevision } from '../../src/pipeline/build-revision.ts';
import { runScenarios } from '../../src/scenarios/run-scenarios.ts';
import { loadRevision, manifestOf } from '../../src/pipeline/revision.ts';
import { GUEST } from '../../src/scenarios/catalogue.ts';
import { liveCount } from '../../src/vm/processes.ts';

const layout = cacheLayout();
const source = await readCachedSource(layout, LINUX_2_6_27.treeId);

async function withWorkload(c: string, args: string[]) {
  const dir = await mkdtemp(join(tmpdir(), 'freeze-rig-workload-'));
  try {
    const binary = join(dir, 'workload');
    await execa('musl-gcc', ['-static', '-O2', '-o', binary, repoPath('test/fixtures/workloads', c)]);
    const manifest = manifestOf(await loadRevision('generic-v2'));
    const rec = await buildRevision({ layout, revision: 'generic-v2' });
    const out = await runScenarios(rec, manifest, dir, { layout, scenarios: ['freeze-under-load'], filesystems: ['ext3'], workloads: [{ binary, args }] });
    const saved = await readFile(join(dir, 'generic-v2', `${out.boots[0]!.name}-workload-0.out`), 'utf8').catch(() => '');
    return { result: out.results[0]!, boot: out.boots[0]!, saved };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!source)('a user workload in freeze-under-load (real kernel, QEMU, ext3)', () => {
  it('kills a workload that forks, ignores SIGTERM and outlives the cycles at its bound, unmounts the fs, and blames nothing on the kernel', async () => {
    const { result, boot, saved } = await withWorkload('outlive.c', []);
    expect(result.status, result.observed).toBe('pass');
    expect(result.metrics.workloadKilledAtBound).toEqual({ value: 1, unit: 'yes/no' });
    // the cycles went on while it ran, up to its bound
    expect(result.metrics.cycles!.value).toBeGreaterThan(10);
    expect(result.metrics.workloadMs!.value).toBeGreaterThanOrEqual(GUEST.workloadBoundS * 1000);
    const exited = result.checks!.find((c) => c.name === 'workload-exited')!;
    expect(exited).toMatchObject({ ret: -9, v: 1 });
    // unmounted, and the image checks clean on the host
    expect(boot.end).toBe('poweroff');
    expect(boot.fsck.exitCode).toBe(0);
    expect(result.checks!.find((c) => c.name === 'host-fsck')).toMatchObject({ ret: 0 });
    expect(result.checks!.find((c) => c.name === 'host-fsck')!.note).toBeUndefined();
    expect(saved).toContain('outlive: starting 8 children');
    // its 2 MiB files were written as on any system: no limit of the rig's reached them
    expect(saved).not.toMatch(/write|open/);
    expect(liveCount()).toBe(0);
  }, 300_000);

  it('calls a guest that could not unmount (a workload child escaped its process group and holds a file) an error of the rig, naming the holder, never a kernel failure', async () => {
    const { result, boot, saved } = await withWorkload('escape.c', ['{dir}']);
    expect(result.status, result.observed).toBe('error');
    expect(result.observed).toMatch(/^the rig did not get there: the guest could not unmount its ext3 \(umount: EBUSY\), still held by workload-0 \(pid \d+\); the host's fsck of the image left mounted \(exit \d+\) is not evidence about the kernel/);
    // the workload itself exited 0 after its child left; its output and the host's fsck are the evidence
    expect(result.checks!.find((c) => c.name === 'workload-exited')).toMatchObject({ ret: 0 });
    // the host's fsck, when it found the image unclean, is quoted as information
    if (boot.fsck.exitCode !== 0) expect(result.console).toContain(`${boot.fsck.command}: exit ${boot.fsck.exitCode}`);
    expect(saved).toMatch(/^escape: holding held in pid \d+\n$/);
    expect(liveCount()).toBe(0);
  }, 300_000);

  it('reports a workload that exits 3 as 3, quoting its output', async () => {
    const { result, saved } = await withWorkload('exit3.c', ['{dir}']);
    expect(result).toMatchObject({ status: 'fail', observed: 'the user workload exited 3' });
    expect(result.console).toEqual(['workload 0: its last 1 lines of output:', 'exit3: giving up on /mnt/workload-0 with status 3']);
    expect(saved).toBe('exit3: giving up on /mnt/workload-0 with status 3\n');
    expect(liveCount()).toBe(0);
  }, 300_000);
});
