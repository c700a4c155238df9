/**
 * The series' promises, checked in real QEMU on real ext3 and XFS images,
 * judged against each revision's manifest; and a known-bad revision that
 * the rig must flag.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheLayout, repoPath } from '../../src/paths.ts';
import { readCachedSource } from '../../src/source/cache.ts';
import { LINUX_2_6_27 } from '../../src/source/linux-2.6.27.ts';
import { buildRevision } from '../../src/pipeline/build-revision.ts';
import { runScenarios } from '../../src/pipeline/run-scenarios.ts';
import { revisionDir } from '../../src/pipeline/revisions.ts';
import { loadManifest } from '../../src/scenarios/manifest.ts';
import { liveCount } from '../../src/vm/processes.ts';

const layout = cacheLayout();
const source = await readCachedSource(layout, LINUX_2_6_27.treeId);

async function run(revision: string) {
  const manifest = await loadManifest(revisionDir(revision).dir);
  const rec = await buildRevision({ layout, revision });
  const dir = await mkdtemp(join(tmpdir(), 'freeze-rig-scn-'));
  try {
    const out = await runScenarios(rec, manifest, dir);
    const by = (fs: string, s: string) => out.results.find((r) => r.fs === fs && r.scenario === s)!;
    return { ...out, by };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!source)('freeze scenarios in the guest (real kernel, QEMU, ext3 and XFS)', () => {
  it('baseline: XFS freezes with its own ioctl and blocks writers; ext3 has no interface', async () => {
    const r = await run('baseline');
    expect(r.by('xfs', 'freeze-thaw').status).toBe('pass');
    expect(r.by('xfs', 'writes-block').status).toBe('pass');
    expect(r.by('ext3', 'freeze-thaw').status).toBe('skip');
    expect(r.boots.every((b) => b.end === 'poweroff')).toBe(true);
  }, 600_000);

  it('generic-v2: FIFREEZE/FITHAW work on ext3 and XFS; writers block while frozen and resume on thaw', async () => {
    const r = await run('generic-v2');
    for (const fs of ['ext3', 'xfs']) {
      expect(r.by(fs, 'freeze-thaw')).toMatchObject({ status: 'pass' });
      const wb = r.by(fs, 'writes-block');
      expect(wb.status, wb.observed).toBe('pass');
      expect(wb.metrics.blockedFor!.value).toBeGreaterThanOrEqual(1000);
    }
    expect(liveCount()).toBe(0);
  }, 600_000);

  it('flags the known-bad revision whose freeze does not block writers', async () => {
    const r = await run(repoPath('test/fixtures/series/bad-freeze-does-not-block'));
    for (const fs of ['ext3', 'xfs']) {
      expect(r.by(fs, 'writes-block').status).toBe('fail');
      expect(r.by(fs, 'writes-block').observed).toMatch(/writer not blocked/);
    }
  }, 600_000);
});
