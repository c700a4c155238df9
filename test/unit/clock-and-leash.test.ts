import { describe, expect, it } from 'vitest';
import { ICOUNT_SHIFT, qemuArgs } from '../../src/vm/qemu-command.ts';
import { leashed, leashedGroup } from '../../src/util/leash.ts';
import { clockOf, REAL_TIME, SCENARIOS } from '../../src/scenarios/catalogue.ts';
import { markerText, type RunMarker } from '../../src/report/run-marker.ts';

describe('virtual time on the QEMU command line', () => {
  it('counts instructions at a fixed rate and skips idle time only in virtual time', () => {
    const v = qemuArgs({ kernel: 'k', initrd: 'i', accel: 'tcg', clock: 'virtual' });
    expect(v.slice(v.indexOf('-icount'), v.indexOf('-icount') + 2)).toEqual(['-icount', `shift=${ICOUNT_SHIFT},sleep=off`]);
    expect(qemuArgs({ kernel: 'k', initrd: 'i', accel: 'tcg', clock: 'real' })).not.toContain('-icount');
    expect(qemuArgs({ kernel: 'k', initrd: 'i', accel: 'tcg' })).not.toContain('-icount');
  });

  it('runs a scenario in real time only when the catalogue says why, or the run asks for it', () => {
    for (const [id, why] of Object.entries(REAL_TIME)) {
      expect(SCENARIOS).toContain(id);
      expect(why!.length).toBeGreaterThan(20);
      expect(clockOf(id as never, 'virtual')).toBe('real');
    }
    expect(clockOf('timeout-fires', 'virtual')).toBe('virtual');
    expect(clockOf('timeout-fires', 'real')).toBe('real');
  });
});

describe('children tied to the rig', () => {
  it('QEMU is exec-ed by setpriv with a parent-death SIGKILL, so the process is QEMU itself', () => {
    expect(leashed('qemu-system-x86_64', ['-m', '256'])).toEqual({ file: 'setpriv', args: ['--pdeathsig', 'KILL', '--', 'qemu-system-x86_64', '-m', '256'] });
  });

  it("make runs in a process group of its own under a shell that kills the group when the rig dies", () => {
    const l = leashedGroup('make', ['-j2']);
    expect(l.detached).toBe(true);
    expect(l.args.slice(0, 5)).toEqual(['--pdeathsig', 'TERM', '--', 'sh', '-c']);
    expect(l.args[5]).toContain('trap "kill -KILL 0" TERM');
    expect(l.args.slice(-2)).toEqual(['make', '-j2']);
  });
});

describe('a run killed before it finished', () => {
  const m: RunMarker = { pid: 4242, host: 'h', startedAt: '2026-12-06T20:00:00.000Z', command: 'freeze-rig run', during: "generic-v3's guests" };
  it('says it was killed, and while doing what', () => {
    expect(markerText(m, false)).toMatch(/pid 4242 on h.*was killed before it finished, while generic-v3's guests/);
    expect(markerText(m, true)).toMatch(/is still running/);
  });
});
