/**
 * Ctrl-C in the middle of a run's first revision: every QEMU stops, the
 * exit code is 130, and report.json says the run is incomplete, why, and
 * where it stopped, so that a CI that cancels a job still has a report.
 */
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheLayout, repoPath } from '../../src/paths.ts';
import { readCachedSource } from '../../src/source/cache.ts';
import { LINUX_2_6_27 } from '../../src/source/linux-2.6.27.ts';
import { schemaErrors } from '../../src/report/validate.ts';

const source = await readCachedSource(cacheLayout(), LINUX_2_6_27.treeId);
const qemuLeft = async () => (await execa('pgrep', ['-c', '-f', '^qemu-system'], { reject: false })).stdout.trim();

describe.skipIf(!source)('an interrupted run', () => {
  it('writes report.json with complete: false and the reason when stopped while its first revision\'s guests boot, and exits 130', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'freeze-rig-interrupt-'));
    try {
      const run = execa('node', [repoPath('bin/freeze-rig.js'), 'run', '--series', 'generic-v2', '--scenario', 'timeout-reset', '--out', dir], { reject: false, all: true, env: { FORCE_COLOR: '0' } });
      // stopped once its guests are booting: the first revision has not finished
      await new Promise<void>((done) => {
        run.all!.on('data', (d: Buffer) => {
          if (/its guests are booting/.test(d.toString())) done();
        });
      });
      await new Promise((r) => setTimeout(r, 3000));
      run.kill('SIGINT');
      const r = await run;
      expect(r.exitCode, r.all).toBe(130);
      expect(r.all).toMatch(/interrupted; stopped \d+ QEMU process\(es\)/);
      const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'));
      expect(schemaErrors(report)).toEqual([]);
      expect(report).toMatchObject({ complete: false, interrupted: { signal: 'SIGINT', during: "generic-v2's guests" }, revisions: [], results: [] });
      expect(await qemuLeft()).toBe('0');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
