import { describe, expect, it } from 'vitest';
import { ICOUNT_SHIFT, qemuArgs } from '../../src/vm/qemu-command.ts';
import { leashed, leashedGroup } from '../../src/util/leash.ts';
import { clockOf, NOT_RECORDED, REAL_TIME, SCENARIOS } from '../../src/scenarios/catalogue.ts';
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

  it('keeps the scenarios whose host answers asks in virtual time, but out of a recording', () => {
    for (const [id, why] of Object.entries(NOT_RECORDED)) {
      expect(SCENARIOS).toContain(id);
      expect(why!.length).toBeGreaterThan(20);
      expect(clockOf(id as never, 'virtual')).toBe('virtual');
      expect(clockOf(id as never, 'virtual', true)).toBe('real');
    }
    expect(clockOf('timeout-fires', 'virtual', true)).toBe('virtual');
  });
});

describe('--smp and the instruction counter', () => {
  it('refuses --smp with virtual time or a recording, before anything runs', async () => {
    const { checkSmpClock } = await import('../../src/commands/run.ts');
    expect(() => checkSmpClock(true, 'virtual', false)).toThrow(/--smp with --clock virtual/);
    expect(() => checkSmpClock(true, 'real', true)).toThrow(/--smp with --record/);
    expect(() => checkSmpClock(true, 'real', false)).not.toThrow();
    expect(() => checkSmpClock(false, 'virtual', true)).not.toThrow();
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

describe('slots', () => {
  it('runs at most n tasks at once, the rest in their turn', async () => {
    const { Slots } = await import('../../src/util/slots.ts');
    const slots = new Slots(2);
    let now = 0;
    let most = 0;
    const order: number[] = [];
    const task = (i: number) => async () => {
      now++;
      most = Math.max(most, now);
      await new Promise((r) => setTimeout(r, 5));
      order.push(i);
      now--;
      return i;
    };
    expect(await Promise.all([1, 2, 3, 4, 5].map((i) => slots.run(task(i))))).toEqual([1, 2, 3, 4, 5]);
    expect(most).toBe(2);
    expect(order.slice(0, 2).sort()).toEqual([1, 2]);
  });
});

describe("a guest's kernel arguments for its clock", () => {
  it('starts the I/O keeper only in virtual time', async () => {
    const { clockAppend, IO_KEEPER_PERIOD_MS } = await import('../../src/scenarios/run-scenarios.ts');
    expect(clockAppend('virtual')).toEqual([`freeze_rig.spin=${IO_KEEPER_PERIOD_MS}`]);
    expect(clockAppend('real')).toEqual([]);
  });
  it('takes --clock real or virtual, and nothing else', async () => {
    const { parseClock } = await import('../../src/commands/run.ts');
    expect(parseClock('virtual')).toBe('virtual');
    expect(() => parseClock('wall')).toThrow(/--clock wall: not real or virtual/);
  });
});

describe('record and replay on the QEMU command line', () => {
  it('puts each disk behind blkreplay and logs to the rr file; a replay snapshots its disks and may wait for gdb', () => {
    const rec = qemuArgs({ kernel: 'k', initrd: 'i', accel: 'tcg', disks: [{ file: 'a.img' }], rr: { mode: 'record', file: '/r/ext3.rr' } });
    expect(rec.slice(rec.indexOf('-icount'), rec.indexOf('-icount') + 2)).toEqual(['-icount', `shift=${ICOUNT_SHIFT},rr=record,rrfile=/r/ext3.rr`]);
    expect(rec.filter((x, i) => rec[i - 1] === '-drive')).toEqual(['file=a.img,if=none,format=raw,cache=writeback,id=disk0-direct', 'driver=blkreplay,if=none,image=disk0-direct,id=disk0']);
    expect(rec[rec.indexOf('-device') + 1]).toBe('virtio-blk-pci,drive=disk0');
    const play = qemuArgs({ kernel: 'k', initrd: 'i', accel: 'tcg', disks: [{ file: 'a.img', snapshot: true }], rr: { mode: 'replay', file: 'ext3.rr' }, gdb: true });
    expect(play.join(' ')).toContain('file=a.img,if=none,format=raw,cache=writeback,snapshot=on,id=disk0-direct');
    expect(play.slice(-2)).toEqual(['-s', '-S']);
  });
});
