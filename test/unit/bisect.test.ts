/**
 * bisect's search, as data: which prefix it tests next, and what it prints.
 * The real thing (builds, guests) is in test/e2e/bisect.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { nextProbe, type BisectOutcome } from '../../src/pipeline/bisect.ts';
import { bisectReport, parseCount } from '../../src/commands/bisect.ts';
import { execa } from 'execa';
import { RigError } from '../../src/errors.ts';
import { repoPath } from '../../src/paths.ts';

/** Runs the search against a revision whose prefix k is good when good(k); returns the answer and the prefixes tested. */
function search(n: number, good: (k: number) => boolean, start?: number) {
  const known = new Map<number, 'good' | 'bad'>();
  const tested: number[] = [];
  for (let i = 0; i < 50; i++) {
    const next = nextProbe(n, known, start);
    if (!('test' in next)) return { next, tested };
    expect(known.has(next.test), `tested ${next.test} twice`).toBe(false);
    tested.push(next.test);
    known.set(next.test, good(next.test) ? 'good' : 'bad');
  }
  throw new Error('no answer after 50 probes');
}

describe('nextProbe', () => {
  it('tests the whole revision first, and stops there if it meets the manifest', () => {
    expect(search(6, () => true)).toEqual({ next: { allGood: true }, tested: [6] });
  });

  it('finds the first bad patch of every position of a series of 1 to 12, where earlier prefixes are good', () => {
    for (let n = 1; n <= 12; n++) {
      for (let bad = 1; bad <= n; bad++) {
        const r = search(n, (k) => k < bad);
        expect(r.next, `n=${n} bad=${bad}`).toEqual({ firstBad: bad });
        expect(r.tested.length, `n=${n} bad=${bad}: ${r.tested}`).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(n + 1)) + 1);
      }
    }
  });

  it('finds the culprit when the first patches are bad too (a scenario that needs patch 1 to run at all)', () => {
    // the fixture: bad without the ioctls (none), good after 1/6 and 2/6, bad from 3/6 on
    expect(search(6, (k) => k === 1 || k === 2)).toEqual({ next: { firstBad: 3 }, tested: [6, 5, 4, 2, 3] });
  });

  it('starts from the prefix the user says is good, and checks it', () => {
    expect(search(10, (k) => k < 8, 2).tested).toEqual([10, 2, 6, 8, 7]);
    // said good, found bad: the search goes on from there
    expect(search(10, (k) => k < 2, 5).next).toEqual({ firstBad: 2 });
  });
});

describe('bisect output', () => {
  const outcome: BisectOutcome = {
    revision: 'bad-middle',
    scenario: 'reads-proceed',
    n: 6,
    verdict: 'bad',
    culprit: { k: 3, layer: 'bad-middle', name: '0001-bad.patch', subject: '[PATCH] bad' },
    summary: 'reads-proceed: first bad patch: 3/6 bad-middle/0001-bad.patch; after 2/6 it met the manifest 5 time(s)',
    probes: [
      { k: 6, patch: '6/6', verdict: 'bad', runs: 2, why: 'failed on try 2' },
      { k: 3, patch: '3/6', verdict: 'bad', runs: 1, why: 'failed', failure: { revision: 'bad-middle@3-try1', fs: 'xfs', scenario: 'reads-proceed', status: 'fail', expected: 'e', observed: 'read took 1010.7 ms while frozen', metrics: {}, console: ['[   4.2] a console line'] }, reproducer: 'qemu-system-x86_64 ...' },
      { k: 2, patch: '2/6', verdict: 'good', runs: 5, why: 'met' },
    ],
  };

  it("names the patch, quotes its first failure's console lines and the reproducer, and lists the probes", () => {
    expect(bisectReport(outcome)).toEqual([
      'reads-proceed: first bad patch: 3/6 bad-middle/0001-bad.patch; after 2/6 it met the manifest 5 time(s)',
      '  [PATCH] bad',
      'its first failure: xfs reads-proceed: read took 1010.7 ms while frozen',
      '  | [   4.2] a console line',
      'reproduce: qemu-system-x86_64 ...',
      'probes: 6/6 bad (2 runs), 3/6 bad, 2/6 good (5 runs)',
    ]);
  });

  it('refuses a count that is not a whole number from 1 up, saying what it is for', () => {
    expect(parseCount('--tries')('5')).toBe(5);
    for (const v of ['0', '-1', '2.5', 'x']) expect(() => parseCount('--tries')(v)).toThrow(RigError);
    expect(() => parseCount('--tries')('0')).toThrow(/--tries 0: not a whole number from 1 up/);
  });

  it('exits 125 (cannot test), never 2, on a usage error, so that git bisect run does not read it as bad', async () => {
    const bisect = (...args: string[]) => execa('node', [repoPath('bin/freeze-rig.js'), 'bisect', ...args], { reject: false, all: true });
    for (const [args, said] of [
      [['--series', 'generic-v2'], /required option '--scenario <id>' not specified/],
      [['--series', 'generic-v2', '--scenario', 'freeze-thaw', '--bogus'], /unknown option '--bogus'/],
      [['--series', 'generic-v2', '--scenario', 'freeze-thaw', '--tries', 'x'], /--tries x: not a whole number from 1 up/],
      [['--series', 'generic-v2', '--scenario', 'freeze-thaw', '--accel', 'nope'], /--accel nope/],
      [['--series', 'nosuchrev', '--scenario', 'freeze-thaw'], /unknown patch revision nosuchrev/],
    ] as const) {
      const r = await bisect(...args);
      expect(r.exitCode, r.all).toBe(125);
      expect(r.all).toMatch(said);
    }
    expect((await bisect('--help')).exitCode).toBe(0);
  }, 60_000);
});
