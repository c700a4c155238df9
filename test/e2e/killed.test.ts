/**
 * A rig killed hard (SIGKILL: a CI runner's hard timeout, the OOM killer)
 * cannot clean up after itself, so its guests are tied to its life by the
 * kernel (setpriv --pdeathsig): they end with it. Its run directory says it
 * was killed, instead of failing obscurely later.
 */
import { describe, expect, it } from 'vitest';
import { useTmp } from '../helpers/tmp.ts';
import { execa, type ResultPromise } from 'execa';
import { cacheLayout, repoPath } from '../../src/paths.ts';
import { readCachedSource } from '../../src/source/cache.ts';
import { LINUX_2_6_27 } from '../../src/source/linux-2.6.27.ts';

const source = await readCachedSource(cacheLayout(), LINUX_2_6_27.treeId);
const cli = (args: string[]) => execa('node', [repoPath('bin/freeze-rig.js'), ...args], { reject: false, all: true, env: { FORCE_COLOR: '0' } });
/** QEMU processes whose command line names dir: this run's guests, not another test's */
const qemuOf = async (dir: string) => (await execa('pgrep', ['-f', `^qemu-system.*${dir}`], { reject: false })).stdout.split('\n').filter(Boolean).length;
// each test's run directory, removed after it
const runDir = useTmp();

/** Waits until the rig has guests running in dir, SIGKILLs it, and returns how many of them were left 2 s later. */
async function killWhileBooting(rig: ResultPromise, dir: string): Promise<{ before: number; after: number }> {
  let before = 0;
  for (let i = 0; i < 600 && before === 0; i++) {
    await new Promise((r) => setTimeout(r, 500));
    before = await qemuOf(dir);
  }
  rig.kill('SIGKILL');
  await rig;
  await new Promise((r) => setTimeout(r, 2000));
  return { before, after: await qemuOf(dir) };
}

describe.skipIf(!source)('a rig killed with SIGKILL', () => {
  it('run: its guests end with it, and report render says the run was killed', async () => {
    const dir = await runDir();
    const rig = cli(['run', '--plain', '--series', 'generic-v3', '--scenario', 'timeout-reset', '--scenario', 'writes-block', '--out', dir]);
    const { before, after } = await killWhileBooting(rig, dir);
    expect(before).toBeGreaterThan(0);
    expect(after).toBe(0);
    const r = await cli(['report', 'render', dir]);
    expect(r.exitCode, r.all).not.toBe(0);
    expect(r.all).toMatch(/was killed before it finished, while generic-v3's guests/);
  }, 600_000);

  it('bisect: its guests end with it', async () => {
    const dir = await runDir();
    const rig = cli(['bisect', '--plain', '--series', repoPath('test/fixtures/series/bad-timeout-never-fires'), '--scenario', 'timeout-fires', '--fs', 'ext3', '--out', dir]);
    const { before, after } = await killWhileBooting(rig, dir);
    expect(before).toBeGreaterThan(0);
    expect(after).toBe(0);
  }, 600_000);
});
