/**
 * Where the rig tells what it does: plain lines for CI and pipes, a live
 * board on a terminal. The board's text is a pure function; the plain
 * board is written to a stream here and read back.
 */
import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { boardLines, plainBoard, wantsLive } from '../../src/util/live.ts';

describe('the live board', () => {
  it('draws one line per activity (spinner while it runs, its state, its seconds), then the last lines said', () => {
    const rows = [
      { title: 'building generic-v2', state: 'done' as const, text: '722 units: 700 from cache, 22 compiled', started: 0, ended: 41_000 },
      { title: 'generic-v2/ext3-1', state: 'running' as const, text: 'writes-block (2 of 5)', started: 40_000 },
      { title: 'generic-v2/xfs-1', state: 'failed' as const, text: 'silent', started: 40_000, ended: 50_000 },
    ];
    expect(boardLines(rows, ['PASS  generic-v2 ext3 freeze-thaw'], 52_000, 3)).toEqual([
      '✔ building generic-v2: 722 units: 700 from cache, 22 compiled (41 s)',
      '⠸ generic-v2/ext3-1: writes-block (2 of 5) (12 s)',
      '✖ generic-v2/xfs-1: silent (10 s)',
      '  PASS  generic-v2 ext3 freeze-thaw',
    ]);
  });

  it('keeps the last few ended activities and counts the older ones in one line, so forty guests fit a terminal', () => {
    const rows = Array.from({ length: 10 }, (_, i) => ({ title: `g${i}`, state: (i === 1 ? 'failed' : i < 8 ? 'done' : 'running') as 'done' | 'failed' | 'running', text: 't', started: 0, ...(i < 8 ? { ended: i * 1000 } : {}) }));
    expect(boardLines(rows, [], 20_000, 0, 3)).toEqual(['✔ 5 more ended (1 failed)', '✔ g5: t (5 s)', '✔ g6: t (6 s)', '✔ g7: t (7 s)', '⠋ g8: t (20 s)', '⠋ g9: t (20 s)']);
  });

  it('is live only on a terminal (stdout and stderr), never in CI or with --plain', () => {
    const tty = { stdoutTTY: true, stderrTTY: true, ci: false, plain: false };
    expect(wantsLive(tty)).toBe(true);
    expect(wantsLive({ ...tty, stdoutTTY: false })).toBe(false); // npm run rig | cat
    expect(wantsLive({ ...tty, ci: true })).toBe(false);
    expect(wantsLive({ ...tty, plain: true })).toBe(false);
  });

  it('writes plain lines with timestamps, a long step at most every 5 s, its end always', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const b = plainBoard(out);
    b.say('work tree reused');
    const a = b.activity('building baseline');
    a.update('1 compiled');
    a.update('2 compiled');
    a.done('722 units');
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^freeze-rig \[ *\d+\.\d s\] work tree reused$/);
    expect(lines[1]).toMatch(/building baseline: 1 compiled$/);
    expect(lines[2]).toMatch(/building baseline: 722 units$/);
  });
});
