import { describe, expect, it } from 'vitest';
import { judge, type Check } from '../../src/scenarios/judge.ts';
import type { Manifest } from '../../src/scenarios/manifest.ts';
import { guestAppend } from '../../src/pipeline/run-scenarios.ts';
import { mkfsArgs } from '../../src/guest/disk-images.ts';

const manifest: Manifest = {
  revision: 'r',
  summary: '',
  ioctls: [],
  filesystems: { ext3: { iface: null, why: 'none in vanilla' }, xfs: { iface: 'generic' } },
};
const c = (name: string, ret: number, ms: number, errno = 0): Check => ({ fs: 'xfs', scenario: 'writes-block', name, ret, errno, ms });

describe('judging a scenario against the manifest', () => {
  it('passes a writer that blocked long enough and resumed soon', () => {
    const r = judge('r', manifest, 'xfs', 'writes-block', [c('freeze', 0, 3), c('blocked-while-frozen', 1, 1205), c('thaw', 0, 2), c('writer-resumed', 1, 15), c('data-reads-back', 1, 0)]);
    expect(r.status).toBe('pass');
    expect(r.metrics.writerWakeLatency).toEqual({ value: 15, unit: 'ms' });
  });

  it.each([
    ['a writer that was not blocked', [c('freeze', 0, 3), c('blocked-while-frozen', 0, 20), c('writer-resumed', 1, 0), c('data-reads-back', 1, 0)], /not blocked/],
    ['a writer that stays blocked after thaw', [c('freeze', 0, 3), c('blocked-while-frozen', 1, 1200), c('writer-resumed', 0, 5000), c('data-reads-back', 1, 0)], /did not resume/],
    ['a slow wake-up', [c('freeze', 0, 3), c('blocked-while-frozen', 1, 1200), c('writer-resumed', 1, 2500), c('data-reads-back', 1, 0)], /resumed only 2500 ms/],
    ['lost data', [c('freeze', 0, 3), c('blocked-while-frozen', 1, 1200), c('writer-resumed', 1, 10), c('data-reads-back', 0, 0)], /does not read back/],
    ['a freeze that failed', [c('freeze', -1, 0, 25)], /freeze errno 25/],
  ])('fails %s', (_, checks, why) => {
    const r = judge('r', manifest, 'xfs', 'writes-block', checks);
    expect(r.status).toBe('fail');
    expect(r.observed).toMatch(why);
  });

  it('skips, with the manifest reason, where the revision has no interface', () => {
    expect(judge('r', manifest, 'ext3', 'freeze-thaw', [])).toMatchObject({ status: 'skip', expected: expect.stringContaining('none in vanilla') });
  });

  it('is an error, not a pass, when the guest reported nothing', () => {
    expect(judge('r', manifest, 'xfs', 'freeze-thaw', []).status).toBe('error');
  });

  it('tells the guest what to run and how to freeze, on its command line', () => {
    expect(guestAppend('xfs', manifest, ['freeze-thaw', 'writes-block'])).toBe('freeze_rig.fs=xfs freeze_rig.fstype=xfs freeze_rig.iface=generic freeze_rig.scenarios=freeze-thaw,writes-block');
    expect(guestAppend('ext3', manifest, ['freeze-thaw'])).toBe('freeze_rig.fs=ext3 freeze_rig.fstype=ext3 freeze_rig.iface=none');
  });

  it('makes XFS images that 2.6.27 can mount (v4, no newer features)', () => {
    const a = mkfsArgs('xfs', 'x.img');
    expect(a.join(' ')).toContain('-m crc=0,finobt=0,rmapbt=0,reflink=0,bigtime=0,inobtcount=0');
    expect(a.join(' ')).toContain('-n ftype=0');
    expect(mkfsArgs('ext3', 'e.img')).toEqual(['mkfs.ext3', '-F', '-q', 'e.img']);
  });
});
