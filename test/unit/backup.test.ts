/**
 * The backup scenarios' pure parts and the handshake: snapshot checks
 * parsed from the real tools' output, the QMP calls as data, the judges,
 * and the host's side of the handshake over a real unix socket.
 */
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { badFiles, fnv1a64, fsckFindings, parseRecovery, parseXfsDbFiles, xfsDbFileArgs, debugfsDumpArgs } from '../../src/guest/image-check.ts';
import { backupCalls, cleanupCalls } from '../../src/vm/snapshot.ts';
import { AskServer, answerLine, askOf, type AskRecord } from '../../src/vm/host-channel.ts';
import { judge, type Check } from '../../src/scenarios/judge.ts';
import { loadRevision } from '../../src/pipeline/revision.ts';
import { skipReason } from '../../src/scenarios/catalogue.ts';
import { repoPath } from '../../src/paths.ts';
import { useTmp } from '../helpers/tmp.ts';

const generic = (await loadRevision('generic-v2')).manifest!;
const v3 = (await loadRevision('generic-v3')).manifest!;
const tmp = useTmp();

describe('reading a snapshot without mounting it', () => {
  it('computes the FNV-1a 64 the guest computes', () => {
    expect(fnv1a64(Buffer.from(''))).toBe('cbf29ce484222325');
    expect(fnv1a64(Buffer.from('a'))).toBe('af63dc4c8601ec8c');
    expect(fnv1a64(Buffer.from('foobar'))).toBe('85944171f73967e8');
  });

  it('tells a journal or log that needs replay from a clean one', () => {
    expect(parseRecovery('ext3', 'Filesystem features:      has_journal ext_attr resize_inode dir_index filetype needs_recovery sparse_super large_file\n')).toEqual({ needed: true, why: 'journal recovery (needs_recovery is set)' });
    expect(parseRecovery('ext3', 'Filesystem features:      has_journal ext_attr resize_inode dir_index filetype sparse_super\n').needed).toBe(false);
    expect(parseRecovery('ext3', 'dumpe2fs: Bad magic number').needed).toBe(true);
    // xfs_logprint -t, from real snapshots: a live fs, and one frozen by generic-v2
    expect(parseRecovery('xfs', '    log tail: 2 head: 949 state: <DIRTY>\n')).toEqual({ needed: true, why: 'log recovery (log DIRTY, tail 2, head 949)' });
    expect(parseRecovery('xfs', '    log tail: 8706 head: 8706 state: <CLEAN>\n').needed).toBe(false);
  });

  it('keeps what fsck found, not its banners', () => {
    const out = 'Phase 1 - find and verify superblock...\n        - scan filesystem freespace and inode maps...\nsb_fdblocks 61126, counted 62150\nNo modify flag set, skipping phase 5\n';
    expect(fsckFindings(out)).toEqual(['sb_fdblocks 61126, counted 62150']);
  });

  it('maps files to image offsets from xfs_db, and never trusts the lines after a missing path', () => {
    // real xfs_db 6.1 output; after "No such file" xfs_db keeps the previous inode current
    const out = [
      'blocksize = 4096',
      'agblocks = 20480',
      '@@ /snap/w0-000 ',
      'core.size = 8192',
      'data offset 0 startblock 12 (0/12) count 2 flag 0',
      '@@ /snap/nope ',
      '/snap/nope: No such file or directory',
      'core.size = 8192',
      'data offset 0 startblock 12 (0/12) count 2 flag 0',
      '@@ /snap/far ',
      'core.size = 10000',
      'data offset 0 startblock 8388609 (1/1) count 3 flag 1',
    ].join('\n');
    const { blocksize, files } = parseXfsDbFiles(out);
    expect(blocksize).toBe(4096);
    expect(files.get('/snap/w0-000')).toEqual({ size: 8192, extents: [{ offset: 0, at: 12 * 4096, blocks: 2, unwritten: false }] });
    expect(files.get('/snap/nope')).toBeUndefined();
    expect(files.has('/snap/nope')).toBe(true);
    expect(files.get('/snap/far')!.extents[0]).toEqual({ offset: 0, at: (20480 + 1) * 4096, blocks: 3, unwritten: true });
    expect(xfsDbFileArgs('i.img', ['/a'])).toEqual(['xfs_db', '-r', '-c', 'sb 0', '-c', 'print blocksize agblocks', '-c', 'echo @@ /a', '-c', 'path /a', '-c', 'print core.size', '-c', 'bmap', 'i.img']);
    expect(debugfsDumpArgs('i.img', '/snap', '/tmp/o')).toEqual(['debugfs', '-R', 'rdump /snap /tmp/o', 'i.img']);
  });

  it('names each file that is missing, short or different', () => {
    const good = Buffer.from('abc');
    const files = [
      { path: '/s/ok', bytes: 3, fnv: fnv1a64(good) },
      { path: '/s/gone', bytes: 3, fnv: fnv1a64(good) },
      { path: '/s/short', bytes: 4, fnv: 'x' },
      { path: '/s/changed', bytes: 3, fnv: fnv1a64(good) },
    ];
    const read = new Map([['/s/ok', good], ['/s/gone', undefined], ['/s/short', good], ['/s/changed', Buffer.from('abd')]]);
    expect(badFiles(files, read)).toEqual(['/s/gone: missing', '/s/short: 3 bytes, expected 4', '/s/changed: content differs']);
  });
});

describe('the QMP calls of a snapshot', () => {
  it('attach a raw target, back the disk up into it in full, then dismiss and detach', () => {
    expect(backupCalls('disk0', 'snap-1', '/r/s.img')).toEqual([
      { execute: 'blockdev-add', arguments: { driver: 'raw', 'node-name': 'snap-1', file: { driver: 'file', filename: '/r/s.img' } } },
      { execute: 'blockdev-backup', arguments: { 'job-id': 'snap-1', device: 'disk0', target: 'snap-1', sync: 'full', 'auto-dismiss': false } },
    ]);
    expect(cleanupCalls('snap-1', true).map((c) => c.execute)).toEqual(['job-dismiss', 'blockdev-del']);
    expect(cleanupCalls('snap-1', false).map((c) => c.execute)).toEqual(['blockdev-del']);
  });
});

describe('the handshake, host side', () => {
  it('reads asks from console events and writes one-line answers', () => {
    expect(askOf({ event: 'ask', id: 3, what: 'snapshot', label: 'frozen', fs: 'xfs', scenario: 's' })).toEqual({ id: 3, what: 'snapshot', label: 'frozen', fs: 'xfs', scenario: 's' });
    expect(askOf({ event: 'check', id: 3 })).toBeUndefined();
    expect(answerLine(3, true, 'done')).toBe('3 ok done\n');
    expect(answerLine(4, false, 'no\nQMP')).toBe('4 err no QMP\n');
  });

  /** A stand-in for QEMU's chardev socket: collects the lines the host writes to the guest's ttyS1. */
  async function guestPort() {
    const path = join(await tmp(), 'host.sock');
    const lines: string[] = [];
    let conn: Socket | undefined;
    const server = createServer((s) => {
      conn = s;
      let buf = '';
      s.on('data', (d) => {
        buf += d.toString();
        const parts = buf.split('\n');
        buf = parts.pop()!;
        lines.push(...parts);
      });
    });
    await new Promise<void>((res) => server.listen(path, res));
    return { path, lines, close: () => (conn?.destroy(), server.close()) };
  }

  const ask = (id: number, what: string) => ({ id, what, label: `l${id}`, fs: 'ext3', scenario: 'snapshot-consistent' });

  it('answers in order, and answers err when an action runs over its time or is unknown', async () => {
    const port = await guestPort();
    const server = new AskServer({
      channel: port.path,
      actionMs: 100,
      handlers: { quick: async () => 'done', slow: () => new Promise((res) => setTimeout(() => res('late'), 1000)) },
    });
    server.take(ask(1, 'quick'));
    server.take(ask(2, 'slow'));
    server.take(ask(3, 'dance'));
    await server.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(port.lines).toEqual(['1 ok done', '2 err slow l2: no result within 100 ms', '3 err the host does not know "dance"']);
    expect(server.records.map((r) => r.ok)).toEqual([true, false, false]);
    port.close();
  });

  it('reports a guest that stays silent after an answer, and not one that goes on', async () => {
    const port = await guestPort();
    const silent: AskRecord[] = [];
    const server = new AskServer({ channel: port.path, guestMs: 60, handlers: { quick: async () => 'done' }, onGuestSilent: (r) => silent.push(r) });
    server.take(ask(1, 'quick'));
    await new Promise((r) => setTimeout(r, 20));
    server.seen(); // the guest printed something: alive
    await new Promise((r) => setTimeout(r, 100));
    expect(silent).toEqual([]);
    server.take(ask(2, 'quick'));
    await new Promise((r) => setTimeout(r, 200));
    expect(silent.map((r) => r.id)).toEqual([2]);
    await server.close();
    port.close();
  });

  it('records an answer that cannot reach the guest', async () => {
    const server = new AskServer({ channel: join(await tmp(), 'nobody.sock'), handlers: { quick: async () => 'done' } });
    server.take(ask(1, 'quick'));
    await server.close();
    expect(server.records[0]!.ok).toBe(false);
    expect(server.records[0]!.text).toMatch(/did not reach the guest/);
  });
});

describe('judging the backup scenarios', () => {
  const c = (scenario: string) => (name: string, ret: number, ms = 0, errno = 0, v?: number, note?: string): Check => ({ fs: 'xfs', scenario, name, ret, errno, ms, v, ...(note ? { note } : {}) });
  const s = c('snapshot-consistent');
  const snap = (label: string, fsck = 0, recovery = 0, bad = 0) => [s(`host-fsck-${label}`, fsck, 0, 0, undefined, 'fsck said'), s(`host-recovery-${label}`, recovery, 0, 0, undefined, 'log recovery (log DIRTY)'), s(`host-files-${label}`, bad, 0, 0, 300, bad ? '/snap/w0-001: missing' : undefined)];
  const good = [
    s('ask-snapshot-control0', 0, 40), ...snap('control0', 1, 1, 12),
    s('freeze', 0, 420, 0, 8192), s('ask-snapshot-frozen', 0, 60), s('frozen', 1, 61), s('thaw', 0, 3), s('writer-resumed', 1, 9), s('writers-finished', 1),
    ...snap('frozen'),
  ];

  it('passes a clean frozen snapshot, counts dirty controls and keeps the freeze-window figures', () => {
    const r = judge('g', generic, 'xfs', 'snapshot-consistent', good);
    expect(r.status, r.observed).toBe('pass');
    expect(r.metrics).toMatchObject({ controlSnapshotsDirty: { value: 1, unit: 'of 1' }, dirtyAtFreeze: { value: 8, unit: 'MiB' }, freezeLatency: { value: 420, unit: 'ms' }, frozenFor: { value: 61, unit: 'ms' } });
    expect(r.checks!.find((x) => x.name === 'host-fsck-frozen')!.note).toBe('fsck said');
  });

  it.each([
    ['needs log recovery', (x: Check) => (x.name === 'host-recovery-frozen' ? { ...x, ret: 1 } : x), /while frozen: needs log recovery \(log DIRTY\)/],
    ['does not check clean', (x: Check) => (x.name === 'host-fsck-frozen' ? { ...x, ret: 1 } : x), /while frozen: fsck exit 1 \(fsck said\)/],
    ['lost a file', (x: Check) => (x.name === 'host-files-frozen' ? { ...x, ret: 1, note: '/snap/w0-001: missing' } : x), /1 of 300 files written before it missing or wrong \(\/snap\/w0-001: missing\)/],
  ])('fails a frozen snapshot that %s', (_, change, want) => {
    const r = judge('g', generic, 'xfs', 'snapshot-consistent', good.map(change));
    expect(r.status).toBe('fail');
    expect(r.observed).toMatch(want);
  });

  it('calls a handshake the host did not answer an error of the rig, saying which side stopped', () => {
    const timedOut = [s('ask-snapshot-control0', -1, 20000, 110)];
    const r = judge('g', generic, 'xfs', 'snapshot-consistent', timedOut);
    expect(r.status).toBe('error');
    expect(r.observed).toBe('the host did not answer "snapshot-control0" within 20000 ms (guest side)');
    const refused = judge('g', generic, 'xfs', 'snapshot-consistent', [s('ask-snapshot-frozen', -1, 5, 5), s('host-ask-snapshot-frozen', -1, 5, 0, undefined, 'QMP is not connected')]);
    expect(refused.observed).toBe('the host answered "snapshot-frozen" with an error after 5 ms: QMP is not connected');
  });

  const n = c('no-device-writes');
  // the other writers' windows (writer-kinds.c), as generic-v2's XFS guest reported them on 2026-12-01
  const kind = (k: string, ops = 0, bytes = 0) => [n(`ops-before-${k}`, 0, 300, 0, 6), n(`freeze-${k}`, 0, 108), n(`ops-while-frozen-${k}`, 0, 2500, 0, 49), n(`thaw-${k}`, 0, 0.1), n(`host-device-writes-frozen-${k}`, ops, 2529, 0, bytes, `flushes 0; wr_operations 335 -> ${335 + ops}`)];
  const kinds = (leak: Record<string, [number, number]> = {}) => [n('eager-writeback', 0), ...['mmap', 'odirect', 'splice', 'atime'].flatMap((k) => kind(k, ...(leak[k] ?? [0, 0]))), n('eager-writeback-off', 0)];
  const window = (ops: number, bytes: number, during = 0) => [n('freeze', 0, 30), n('ask-blockstats-frozen', 0, 10), n('ask-blockstats-thaw', 0, 5), n('frozen', 1, 3020, 0, during), n('thaw', 0, 2), n('writer-resumed', 1, 10), n('writers-finished', 1), n('host-device-writes', ops, 3005, 0, bytes, 'flushes 0'), ...kinds()];

  it('passes a frozen window with nothing written to the device, and fails one with writes', () => {
    const ok = judge('g', generic, 'xfs', 'no-device-writes', window(0, 0));
    expect(ok.status, ok.observed).toBe('pass');
    expect(ok.metrics).toMatchObject({ deviceWriteRequests: { value: 0, unit: 'requests' }, deviceWriteBytes: { value: 0, unit: 'bytes' } });
    const bad = judge('g', generic, 'xfs', 'no-device-writes', window(1242, 7240704, 80));
    expect(bad.status).toBe('fail');
    expect(bad.observed).toMatch(/1242 write requests \(7240704 bytes\) reached the device during the 3005 ms frozen window/);
    expect(bad.observed).toMatch(/the writers completed 80 files while frozen/);
  });

  it('names the writer kind whose window let writes through, and calls a writer that did nothing before its freeze an error of the rig', () => {
    const leaky = [...window(0, 0).filter((c) => !c.name.includes('-') || !/mmap|splice|eager|odirect|atime/.test(c.name)), ...kinds({ mmap: [48, 196608], splice: [2, 135168] })];
    const r = judge('g', generic, 'xfs', 'no-device-writes', leaky);
    expect(r.status).toBe('fail');
    expect(r.observed).toBe(
      'in the mmap writer\'s 2529 ms frozen window (stores into a shared mapping and msync), 48 write requests (196608 bytes) reached the device (flushes 0; wr_operations 335 -> 383); ' +
        'in the splice writer\'s 2529 ms frozen window (splice from a pipe), 2 write requests (135168 bytes) reached the device (flushes 0; wr_operations 335 -> 337)',
    );
    expect(r.metrics.deviceWriteRequests_mmap).toEqual({ value: 48, unit: 'requests' });
    const idle = judge('g', generic, 'xfs', 'no-device-writes', window(0, 0).map((c) => (c.name === 'ops-before-atime' ? { ...c, v: 0 } : c)));
    expect(idle).toMatchObject({ status: 'error', observed: expect.stringMatching(/the atime writer did nothing in the 300 ms before its freeze/) });
  });
});

describe('judging dm-snapshot (the checks of real runs of 2026-12-01)', () => {
  const d = (name: string, ret: number, ms = 0, errno = 0, v?: number, note?: string): Check => ({ fs: 'ext3', scenario: 'dm-snapshot', name, ret, errno, ms, v, ...(note ? { note } : {}) });
  const host = (label: string) => [d(`host-fsck-${label}`, 0, 0, 0, undefined, 'clean'), d(`host-recovery-${label}`, 0, 0, 0, undefined, 'journal clean'), d(`host-files-${label}`, 0, 0, 0, 140)];
  // generic-v2 on ext3
  const good = [
    d('freeze-a', 0, 103), d('dm-suspend-while-frozen', 0, 1204, 0, 0), d('thaw-a', 0, 5), d('dm-suspend-after-thaw', 0, 1219, 0, 1), d('snapshot-a', 0, 50), d('dm-resume-a', 0, 12, 0, 1), d('export-a', 0, 2771, 0, 11), d('remove-snap-a', 0),
    d('dm-suspend-b', 0, 348, 0, 1), d('thaw-during-dm-suspend', -1, 8, 22), d('freeze-during-dm-suspend', 1, 1206), d('snapshot-b', 0, 32), d('dm-resume-b', 0, 13, 0, 1), d('freeze-after-dm-resume', 0, 1264, 0, 1), d('thaw-b', 0, 3),
    d('writer-resumed', 1, 41), d('export-b', 0, 3445, 0, 22), d('remove-snap-b', 0), d('writers-finished', 1), d('writable-after', 1), d('dm-umount', 0), d('dm-remove-origin', 0),
    ...host('a'), ...host('b'),
  ];
  const swap = (name: string, c: Partial<Check>) => good.map((x) => (x.name === name ? { ...x, ...c } : x));

  it("passes generic-v2: dm's suspend waits for FITHAW, FITHAW of dm's freeze is EINVAL, FIFREEZE waits for dm's resume, both copies check clean", () => {
    const r = judge('g', generic, 'ext3', 'dm-snapshot', good);
    expect(r.status, r.observed).toBe('pass');
    expect(r.expected).toMatch(/dm's suspend waits for the thaw .* the interface's thaw is EINVAL and its freeze waits for dm's resume/);
    expect(r.metrics).toMatchObject({ dmSuspendWaitedForThaw: { value: 1219, unit: 'ms' }, filesChecked: { value: 140, unit: 'files' } });
  });

  it("fails a thaw that ends dm's freeze, at once (vanilla XFS) or once dm resumed (ext3-v1's, whose superblock write waits for the device)", () => {
    const xfs = judge('g', generic, 'ext3', 'dm-snapshot', swap('thaw-during-dm-suspend', { ret: 0, errno: 0 }));
    expect(xfs.status).toBe('fail');
    expect(xfs.observed).toMatch(/^the interface's thaw while dm's suspend held the freeze: 0: it ended the freeze device-mapper made, which dm's resume ends a second time; expected it is EINVAL/);
    const ext3 = judge('g', generic, 'ext3', 'dm-snapshot', [...swap('thaw-during-dm-suspend', { ret: 1, errno: 0, ms: 1212 }), d('thaw-after-dm-resume', 0, 2462, 0, 1)]);
    expect(ext3.observed).toMatch(/^the interface's thaw while dm's suspend held the freeze: it waited for dm's resume, then returned 0: it ended the freeze device-mapper made/);
  });

  it("holds dm's suspend behind a freezer that died to the timeout: released when it fires, a failure when it is not", () => {
    const timeout = (ms: number, back: number) => [d('freeze-t', 0, 90), d('dm-suspend-after-timeout', back ? 0 : -1, ms, back ? 0 : 110, back), ...(back ? [d('dm-resume-t', 0, 12, 0, 1), d('thaw-after-timeout', -1, 0, 22)] : [])];
    const ok = judge('g', generic, 'ext3', 'dm-snapshot', [...good, ...timeout(2031, 1)]);
    expect(ok.status, ok.observed).toBe('pass');
    expect(ok.expected).toMatch(/frozen with a 2000 ms timeout by a freezer that never thaws, the timeout releases dm's suspend/);
    expect(ok.metrics.dmSuspendReleasedByTimeout).toEqual({ value: 2031, unit: 'ms' });
    expect(judge('g', generic, 'ext3', 'dm-snapshot', [...good, ...timeout(7000, 0)]).observed).toBe("dm's suspend of a fs frozen with a 2000 ms timeout was still blocked 7000 ms after the freeze: the timeout did not release it (stuck in D state, its stack follows in the console)");
    expect(judge('g', generic, 'ext3', 'dm-snapshot', [...good, ...timeout(3900, 1)]).observed).toBe("dm's suspend of a fs frozen with a 2000 ms timeout returned 3900 ms after the freeze, not when the timeout thawed it (± 500 ms)");
  });

  it('fails a call that never returned as stuck in D state, and does not ask for what the guest then left out', () => {
    const stuck = [...good.filter((x) => !['writer-resumed', 'writers-finished', 'writable-after', 'dm-umount', 'dm-remove-origin', 'thaw-b'].includes(x.name)).map((x) => (x.name === 'freeze-after-dm-resume' ? { ...x, ret: -1, errno: 110, ms: 6252 } : x)), d('wedged', 1)];
    const r = judge('g', generic, 'ext3', 'dm-snapshot', stuck);
    expect(r.status).toBe('fail');
    expect(r.observed).toBe("the freeze that waited for dm's resume did not return within 6252 ms of it: stuck in D state (its stack follows in the console)");
  });

  it("fails a dm suspend that nests where the manifest says it waits, and a snapshot copy that needs recovery", () => {
    const nested = good.filter((x) => !['thaw-a', 'dm-suspend-after-thaw'].includes(x.name)).map((x) => (x.name === 'dm-suspend-while-frozen' ? { ...x, v: 1 } : x));
    expect(judge('g', generic, 'ext3', 'dm-snapshot', [...nested, d('thaw-a', 0, 4)]).observed).toMatch(/^dm's suspend of a fs frozen through the interface returned while it was frozen, expected it to wait for the thaw/);
    const dirty = judge('g', generic, 'ext3', 'dm-snapshot', swap('host-recovery-b', { ret: 1, note: 'log recovery (log DIRTY, tail 2427, head 2431)' }));
    expect(dirty.observed).toBe("snapshot b (dm's own freeze): needs log recovery (log DIRTY, tail 2427, head 2431)");
  });
});

describe('judging freeze-io-error', () => {
  const e = (name: string, ret: number, ms = 0, errno = 0, v?: number, note?: string): Check => ({ fs: 'ext3', scenario: 'freeze-io-error', name, ret, errno, ms, v, ...(note ? { note } : {}) });
  const host = (fsck: number, recovery: number, bad: number) => [e('host-fsck-frozen', fsck, 0, 0, undefined, 'Free blocks count wrong'), e('host-recovery-frozen', recovery, 0, 0, undefined, 'journal needs recovery'), e('host-files-frozen', bad, 0, 0, 30, bad ? '/buffered: wrong content' : undefined)];

  it('fails a freeze that returned 0 over failed writes and left a disk that needs recovery', () => {
    const r = judge('g', generic, 'ext3', 'freeze-io-error', [e('freeze', 0, 80, 0, 8200), e('injected', 0, 0, 0, 37), e('copy-frozen', 0, 900, 0, 12), ...host(0, 1, 1), e('thaw', 0, 3), e('writable-after', 1)]);
    expect(r.status).toBe('fail');
    expect(r.observed).toBe('the freeze returned 0 after 37 failed requests, but the disk it left: needs journal needs recovery; the freeze returned 0 after 37 failed requests, but the disk it left: 1 of 30 files written before it missing or wrong (/buffered: wrong content)');
    expect(r.metrics).toMatchObject({ injectedFailures: { value: 37, unit: 'requests' }, dirtyAtFreeze: { value: 8, unit: 'MiB' } });
  });

  it('passes a freeze that returns the error and leaves the fs not frozen, a write then returning what the manifest says; an injection that failed nothing is an error of the rig', () => {
    // generic-v2 promises nothing for a failed freeze: the fs stays writable
    expect(judge('g', generic, 'ext3', 'freeze-io-error', [e('freeze', -1, 80, 5, 8200), e('injected', 0, 0, 0, 37), e('write-after-failed-freeze', 0, 4)]).status).toBe('pass');
    expect(judge('g', generic, 'ext3', 'freeze-io-error', [e('freeze', -1, 80, 5, 8200), e('injected', 0, 0, 0, 37), e('write-after-failed-freeze', -1, 4, 30)]).observed).toBe('the freeze failed (EIO); a write+fsync after it: EROFS, expected 0');
    // generic-v3 (real runs of 2026-12-01): ext3's journal aborted, so EROFS; XFS shut down, so EIO
    expect(judge('g', v3, 'ext3', 'freeze-io-error', [e('freeze', -1, 129, 5, 8240), e('injected', 0, 0, 0, 8285), e('write-after-failed-freeze', -1, 4, 30)]).status).toBe('pass');
    const onXfs = (cs: Check[]) => cs.map((c) => ({ ...c, fs: 'xfs' as const }));
    expect(judge('g', v3, 'xfs', 'freeze-io-error', onXfs([e('freeze', -1, 227, 5, 8000), e('injected', 0, 0, 0, 69), e('write-after-failed-freeze', -1, 7, 5)])).status).toBe('pass');
    const frozen = judge('g', v3, 'xfs', 'freeze-io-error', onXfs([e('freeze', -1, 227, 5, 8000), e('injected', 0, 0, 0, 69), e('write-after-failed-freeze', 1, 1000)]));
    expect(frozen.observed).toBe('the freeze failed (EIO) but left the filesystem frozen: a write+fsync was still blocked 1000 ms later');
    const none = judge('g', generic, 'ext3', 'freeze-io-error', [e('freeze', -1, 80, 5, 8200), e('injected', 0, 0, 0, 0), e('write-after-failed-freeze', 0)]);
    expect(none).toMatchObject({ status: 'error', observed: expect.stringMatching(/FAIL_MAKE_REQUEST injected nothing/) });
  });
});

describe('judging frozen-isolation (real runs of 2026-12-01)', () => {
  const i = (name: string, ret: number, ms = 0, v?: number): Check => ({ fs: 'xfs', scenario: 'frozen-isolation', name, ret, errno: 0, ms, v });
  const run = (p50: number, p99: number, max: number, n: number) => [i('memory-held', 0, 0, 190), i('freeze', 0, 309), i('thaw', 0, 5), i('latency-before', 0, 0, 34.8), i('writes-while-frozen', 0, 10000, n), i('latency-p50', 0, 0, p50), i('latency-p99', 0, 0, p99), i('latency-max', 0, 0, max), i('umount', 0)];

  it("passes generic-v2's XFS, whose other filesystem's writes took at most 33 ms over a 10 s freeze, and reports the figures", () => {
    const r = judge('g', generic, 'xfs', 'frozen-isolation', run(0.2, 11, 32.9, 829));
    expect(r.status, r.observed).toBe('pass');
    expect(r.metrics).toMatchObject({ otherFsWriteP50: { value: 0.2, unit: 'ms' }, otherFsWriteP99: { value: 11, unit: 'ms' }, otherFsWriteMax: { value: 32.9, unit: 'ms' } });
  });

  it('fails the fixture whose freeze stalls every writer: one write waited out the whole freeze', () => {
    const r = judge('g', generic, 'xfs', 'frozen-isolation', run(10021.9, 10021.9, 10021.9, 1));
    expect(r.observed).toBe("a write to the other filesystem took 10022 ms while this one was frozen (p50 10022 ms, p99 10022 ms, 1 writes; before the freeze at most 35 ms), over the manifest's 1000 ms");
  });
});

describe('judging emergency-thaw (real runs of 2026-12-01)', () => {
  const t = (name: string, ret: number, ms = 0, errno = 0): Check => ({ fs: 'xfs', scenario: 'emergency-thaw', name, ret, errno, ms });
  const thawed = [t('freeze', 0, 117), t('blocked-while-frozen', 1, 1207), t('resumed-after-sysrq', 1, 36), t('thaw-after-sysrq', -1, 0, 22)];
  const stayed = [t('freeze', 0, 117), t('blocked-while-frozen', 1, 1207), t('resumed-after-sysrq', 0, 1000), t('thaw-after-sysrq', 0, 3), t('writer-resumed', 1, 30)];

  it("passes generic-v3, whose SysRq j thawed the fs (the writer resumed 36 ms after it), and generic-v2, which has no emergency thaw and stayed frozen", () => {
    const r = judge('g', v3, 'xfs', 'emergency-thaw', thawed);
    expect(r.status, r.observed).toBe('pass');
    expect(r.metrics.emergencyThawLatency).toEqual({ value: 36, unit: 'ms' });
    expect(judge('g', generic, 'xfs', 'emergency-thaw', stayed).status).toBe('pass');
  });

  it('fails a SysRq j that did not thaw where the manifest says it does (the fixture bad-emergency-thaw-misses-untimed), and one that did where it says it does not', () => {
    expect(judge('g', v3, 'xfs', 'emergency-thaw', stayed).observed).toMatch(/^SysRq j did not thaw: the writer was still blocked 1000 ms after it; thaw-after-sysrq: 0, expected EINVAL/);
    expect(judge('g', generic, 'xfs', 'emergency-thaw', thawed).observed).toMatch(/^SysRq j thawed the fs \(the writer resumed 36 ms after it\), which the manifest says this revision does not do/);
    // thawed, but later than the 1 s the scenario promises
    const late = thawed.map((c) => (c.name === 'resumed-after-sysrq' ? { ...c, ms: 1500 } : c));
    expect(judge('g', v3, 'xfs', 'emergency-thaw', late).observed).toBe('the writer resumed only 1500 ms after SysRq j');
  });

  it('is skipped where the manifest does not say what SysRq j does', () => {
    const { emergencyThaw: _, ...fs } = v3.filesystems.xfs;
    expect(skipReason(fs, 'emergency-thaw')).toBe('the manifest does not say what SysRq j does to a frozen fs');
  });
});
