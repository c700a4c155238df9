/**
 * Every known-bad fixture (test/e2e/report.test.ts runs the real revisions),
 * which must fail the scenarios it breaks (its manifest lists them), so that
 * each scenario is shown able to fail.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheLayout, repoPath } from '../../src/paths.ts';
import { readCachedSource } from '../../src/source/cache.ts';
import { LINUX_2_6_27 } from '../../src/source/linux-2.6.27.ts';
import { buildRevision } from '../../src/pipeline/build-revision.ts';
import { runScenarios, type ScenarioRunOptions } from '../../src/scenarios/run-scenarios.ts';
import { loadRevision, manifestOf } from '../../src/pipeline/revision.ts';
import { GUEST_BUDGET_S, SCENARIOS, type ScenarioId } from '../../src/scenarios/catalogue.ts';
import { liveCount } from '../../src/vm/processes.ts';

const layout = cacheLayout();
const source = await readCachedSource(layout, LINUX_2_6_27.treeId);

async function run(revision: string, scenarios?: readonly ScenarioId[], opts: Omit<ScenarioRunOptions, 'layout'> = {}) {
  const manifest = manifestOf(await loadRevision(revision));
  const rec = await buildRevision({ layout, revision });
  const dir = await mkdtemp(join(tmpdir(), 'freeze-rig-scn-'));
  try {
    const out = await runScenarios(rec, manifest, dir, { layout, scenarios, ...opts });
    const by = (fs: string, s: string) => out.results.find((r) => r.fs === fs && r.scenario === s)!;
    const table = out.results.map((r) => `${r.status} ${r.fs} ${r.scenario}: ${r.status === 'skip' ? r.expected : r.observed.split('\n')[0]}`).join('\n');
    return { ...out, manifest, by, table };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!source)('freeze scenarios in the guest (real kernel, QEMU, ext3 and XFS)', () => {
  const fixtures = ['bad-freeze-does-not-block', 'bad-timeout-never-fires', 'bad-thaw-waits-for-timeout', 'bad-abi', 'bad-busy-fs', 'bad-freeze-holds-s-umount', 'bad-freeze-no-quiesce', 'bad-lazy-umount-refused', 'bad-thaw-ends-dm-freeze', 'bad-freeze-stalls-other-fs', 'bad-emergency-thaw-misses-untimed'];

  // scenarios that a real revision fails for real (its manifest's known issue), proven below instead of by a fixture
  const realFailures: Record<string, { revision: string; fs: ('ext3' | 'xfs')[]; shows: Record<string, RegExp> }> = {
    'reset-at-expiry': { revision: 'generic-v2', fs: ['ext3', 'xfs'], shows: { ext3: /the reset lost the timer/, xfs: /the reset lost the timer/ } },
    compat32: { revision: 'generic-v2', fs: ['ext3', 'xfs'], shows: { ext3: /^freeze32: EINVAL, expected 0/, xfs: /xfs-freeze32: EINVAL, expected 0/ } },
    'remount-frozen': { revision: 'generic-v2', fs: ['ext3', 'xfs'], shows: { ext3: new RegExp(`^hung: no return within ${GUEST_BUDGET_S['remount-frozen']} s`), xfs: /write requests \(\d+ bytes\) reached the frozen device/ } },
    'freeze-read-only': { revision: 'generic-v2', fs: ['ext3', 'xfs'], shows: { ext3: /^the kernel reported a BUG during freeze-read-only: kernel BUG at fs\/jbd\/transaction.c/, xfs: /write requests \(\d+ bytes\) reached the frozen device/ } },
    // 2.6.27's write_super_lockfs returns void: every revision's freeze returns 0 over failed writes
    'freeze-io-error': { revision: 'generic-v2', fs: ['ext3', 'xfs'], shows: { ext3: /^the freeze returned 0 after \d+ failed requests, but the disk it left: /, xfs: /^the freeze returned 0 after \d+ failed requests, but the disk it left: / } },
  };

  it('has a known-bad fixture, or a real revision that really fails it, for every scenario', async () => {
    const broken = new Set<string>(Object.keys(realFailures));
    for (const f of fixtures) for (const s of manifestOf(await loadRevision(repoPath('test/fixtures/series', f))).breaks ?? []) broken.add(s);
    expect(SCENARIOS.filter((s) => !broken.has(s))).toEqual([]);
  });

  it.each(Object.entries(realFailures))('flags %s on the revision that fails it for real, as its manifest says', async (scenario, { revision, fs, shows }) => {
    const r = await run(revision, [scenario as ScenarioId], { filesystems: fs });
    for (const f of fs) {
      expect(r.by(f, scenario), `${f} ${scenario}\n${r.table}`).toMatchObject({ status: 'fail', known: expect.any(String) });
      expect(r.by(f, scenario).observed).toMatch(shows[f]!);
    }
    expect(liveCount()).toBe(0);
  }, 300_000);

  it("flags ext3-v1's thaw livelock every run: the forced round, the kernel's soft lockup report, the guest ended seconds after it", async () => {
    const r = await run('ext3-v1', ['thaw-timeout-race'], { filesystems: ['ext3'] });
    const x = r.by('ext3', 'thaw-timeout-race');
    expect(x, r.table).toMatchObject({ status: 'fail', known: expect.any(String) });
    expect(x.observed).toMatch(/^the kernel locked up \(soft lockup; the guest was ended after its report\) during thaw-timeout-race: BUG: soft lockup - CPU#0 stuck for \d+s!/);
    expect(x.console!.join('\n')).toMatch(/cancel_delayed_work_sync[\s\S]*ext3_ioctl/);
    expect(r.boots[0]!.end).toBe('lockup');
    expect(liveCount()).toBe(0);
  }, 300_000);

  it.each(fixtures)('flags the known-bad fixture %s in every scenario it breaks', async (name) => {
    const manifest = manifestOf(await loadRevision(repoPath('test/fixtures/series', name)));
    const breaks = manifest.breaks as ScenarioId[];
    // dmesg-clean needs something that freezes
    const scenarios = SCENARIOS.filter((s) => breaks.includes(s) || (breaks.includes('dmesg-clean') && s === 'freeze-thaw'));
    const r = await run(repoPath('test/fixtures/series', name), scenarios);
    for (const s of breaks) for (const fs of ['ext3', 'xfs']) expect(r.by(fs, s).status, `${fs} ${s}\n${r.table}`).toBe('fail');
    expect(liveCount()).toBe(0);
  }, 900_000);
});

describe.skipIf(!source)('a guest that stops in a scenario, or before any (real kernel and QEMU)', () => {
  it('runs the scenarios it never got to in a fresh guest: bad-timeout-never-fires hangs self-deadlock-rescue, and the two after it are judged all the same', async () => {
    const r = await run(repoPath('test/fixtures/series', 'bad-timeout-never-fires'), ['self-deadlock-rescue', 'legacy-xfs-ioctl', 'frozen-isolation'], { filesystems: ['ext3'], vmsPerFs: 1 });
    expect(r.by('ext3', 'self-deadlock-rescue').status, r.table).toBe('fail');
    expect(r.by('ext3', 'self-deadlock-rescue').observed).toMatch(/^hung: no return within \d+ s/);
    expect(r.by('ext3', 'legacy-xfs-ioctl').status, r.table).toBe('pass');
    expect(r.by('ext3', 'frozen-isolation').status, r.table).toBe('pass');
    expect(r.boots.map((b) => [b.name, b.scenarios])).toEqual([
      ['ext3', ['self-deadlock-rescue', 'legacy-xfs-ioctl', 'frozen-isolation']],
      ['ext3-again', ['legacy-xfs-ioctl', 'frozen-isolation']],
    ]);
    expect(liveCount()).toBe(0);
  }, 600_000);

  it('blames a kernel that oopses at boot for every scenario, within seconds, and boots no fresh guest for them (bad-oops-at-boot)', async () => {
    const r = await run(repoPath('test/fixtures/series', 'bad-oops-at-boot'), ['freeze-thaw', 'errors', 'dmesg-clean']);
    for (const fs of ['ext3', 'xfs']) {
      for (const s of ['freeze-thaw', 'errors']) {
        expect(r.by(fs, s).status, r.table).toBe('fail');
        expect(r.by(fs, s).observed).toBe('the kernel reported an oops before any scenario (while the kernel booted): BUG: unable to handle kernel NULL pointer dereference at 0000000000000000');
      }
      expect(r.by(fs, 'dmesg-clean').status, r.table).toBe('fail');
    }
    // panic=1 ends the guest a second after the panic (2.6.27 ignores panic=-1), and nothing is run again
    expect(r.boots.map((b) => [b.name, b.end])).toEqual([['ext3', 'panic'], ['xfs', 'panic']]);
    expect(liveCount()).toBe(0);
  }, 600_000);
});

describe.skipIf(!source)('the guest-host handshake of the backup scenarios (real kernel and QEMU)', () => {
  it('says so when the host stops answering: the guest gives up after its timeout', async () => {
    const r = await run('generic-v2', ['snapshot-consistent'], { filesystems: ['ext3'], muteHost: true, askTimeoutMs: 1500 });
    const x = r.by('ext3', 'snapshot-consistent');
    expect(x.status, r.table).toBe('error');
    expect(x.observed).toMatch(/^the host did not answer "snapshot-control0" within 1[5-9]\d\d ms \(guest side\)/);
    expect(r.boots[0]!.end).toBe('poweroff');
    expect(liveCount()).toBe(0);
  }, 300_000);

  it('says so when the guest stops answering: the host kills it after its timeout', async () => {
    // 1 ms: no guest answers through the emulated serial port that fast
    const r = await run('generic-v2', ['snapshot-consistent'], { filesystems: ['ext3'], guestAnswerMs: 1 });
    const x = r.by('ext3', 'snapshot-consistent');
    expect(x.status, r.table).toBe('error');
    expect(x.observed).toMatch(/the guest printed nothing for 1 ms after the host answered "snapshot-control0" \(host side\); killed/);
    expect(r.boots[0]!.end).toBe('handshake');
    expect(liveCount()).toBe(0);
  }, 300_000);
});
