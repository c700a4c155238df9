import { cpusOf, DEFAULT_FRAGMENTS } from '../../src/config/fragments.ts';
import { fragmentsFor } from '../../src/commands/run.ts';
import { describe, expect, it } from 'vitest';
import { cpioNewc } from '../../src/guest/cpio.ts';
import { buildInitramfs, initramfsEntries } from '../../src/guest/initramfs.ts';
import { helperCompileArgs } from '../../src/guest/helper-build.ts';
import { qemuArgs } from '../../src/vm/qemu-command.ts';
import { guestDisks, mkfsEnv } from '../../src/guest/disk-images.ts';
import { classifyLine, excerpt, parseConsole } from '../../src/vm/console.ts';
import { checkAccel, chooseAccel } from '../../src/vm/accel.ts';
import { parseAccel } from '../../src/commands/run.ts';

/** Reads newc records back: [name, mode, filesize, rdevmajor, rdevminor]. */
function readNewc(buf: Buffer): [string, number, number, number, number][] {
  const out: [string, number, number, number, number][] = [];
  let off = 0;
  for (;;) {
    expect(buf.toString('ascii', off, off + 6)).toBe('070701');
    const f = (i: number) => parseInt(buf.toString('ascii', off + 6 + i * 8, off + 14 + i * 8), 16);
    const namesize = f(11);
    const filesize = f(6);
    const name = buf.toString('utf8', off + 110, off + 110 + namesize - 1);
    out.push([name, f(1), filesize, f(9), f(10)]);
    off += 110 + namesize;
    off += (4 - (off % 4)) % 4;
    off += filesize;
    off += (4 - (off % 4)) % 4;
    if (name === 'TRAILER!!!') return out;
  }
}

describe('initramfs', () => {
  const init = Buffer.from('\x7fELF fake init');

  it('is byte-for-byte reproducible and independent of input order', () => {
    const a = initramfsEntries({ init, files: [{ path: 'etc/plan', data: Buffer.from('x') }] });
    expect(cpioNewc(a).equals(cpioNewc([...a].reverse()))).toBe(true);
    expect(buildInitramfs({ init }).equals(buildInitramfs({ init }))).toBe(true);
  });

  it('holds /dev/console (the kernel opens it before init runs) and an executable /init', () => {
    const recs = readNewc(cpioNewc(initramfsEntries({ init })));
    const byName = new Map(recs.map((r) => [r[0], r]));
    expect(byName.get('dev/console')).toEqual(['dev/console', 0o020600, 0, 5, 1]);
    expect(byName.get('init')![1]).toBe(0o100755);
    expect(byName.get('init')![2]).toBe(init.length);
    expect(recs.at(-1)![0]).toBe('TRAILER!!!');
    // parents come before children
    expect(recs.findIndex((r) => r[0] === 'dev')).toBeLessThan(recs.findIndex((r) => r[0] === 'dev/console'));
  });

  it('creates the parent directories of extra files', () => {
    const names = initramfsEntries({ init, files: [{ path: '/opt/work/fsstress', data: Buffer.from('') }] }).map((e) => e.path);
    expect(names).toEqual(expect.arrayContaining(['opt', 'opt/work', 'opt/work/fsstress']));
  });

  it('compiles the helper statically, warnings as errors, with the generated contract.h', () => {
    expect(helperCompileArgs('/o/h', '/k/c').filter((a) => a.endsWith('.c')).map((a) => a.split('/').pop())).toEqual(expect.arrayContaining(['dm.c', 'dmsnap.c', 'kernel-ioctls.c']));
    const args = helperCompileArgs('/o/h', '/k/contract-1', '/b/usr/include');
    expect(args.slice(0, 5)).toEqual(['-static', '-O2', '-Wall', '-Wextra', '-Werror']);
    expect(args).toContain('/b/usr/include');
    expect(args.join(' ')).toContain('-I /k/contract-1');
  });

  it('keeps the guest contract in one place: the C sources define none of its numbers and take the scenario table from contract.h', async () => {
    const { readFile } = await import('node:fs/promises');
    const { HELPER_SOURCES, HELPER_HEADERS } = await import('../../src/guest/helper-build.ts');
    const { guestContractHeader, SCENARIOS } = await import('../../src/scenarios/catalogue.ts');
    const header = guestContractHeader();
    const names = [...header.matchAll(/^#define (\w+)/gm)].map((m) => m[1]!).filter((n) => n !== 'FREEZE_RIG_CONTRACT_H');
    expect(names).toEqual(['BLOCK_MS', 'WAKE_MS', 'TIMEOUT_S', 'HEARTBEAT_RESETS', 'SOFTLOCKUP_S', 'EXPIRY_ROUNDS', 'EXPIRY_LATE_MS', 'WORKLOAD_BOUND_MS', 'WORKLOAD_OUTPUT_LINES', 'MAX_WORKLOADS', 'SCENARIO_TABLE']);
    for (const f of [...HELPER_SOURCES, ...HELPER_HEADERS]) {
      const c = await readFile(f, 'utf8');
      for (const n of names) expect(c, `${f} defines ${n} again`).not.toMatch(new RegExp(`#define\\s+${n}\\b`));
      // no scenario id spelled out in C: the ids come from the table
      for (const id of SCENARIOS) expect(c.includes(`{ "${id}"`), `${f} lists ${id}`).toBe(false);
    }
    for (const id of SCENARIOS) expect(header).toContain(`X("${id}", ${id.replace(/-/g, '_')}, `);
  });
});

describe('QEMU command line', () => {
  it('has no network, no display, a serial console and virtio disks', () => {
    const a = qemuArgs({
      kernel: 'bz',
      initrd: 'i.gz',
      accel: 'tcg',
      append: 'freeze_rig.plan=x',
      disks: [{ file: 'ext3.img' }],
      qmpSocket: '/r/qmp.sock',
      hostChannel: '/r/host.sock',
    });
    expect(a).toContain('-nodefaults');
    expect(a.join(' ')).not.toMatch(/-net|-nic|netdev/);
    expect(a[a.indexOf('-serial') + 1]).toBe('stdio');
    expect(a[a.indexOf('-append') + 1]).toBe('console=ttyS0 panic=1 loglevel=7 pci=noacpi freeze_rig.plan=x');
    expect(a[a.indexOf('-drive') + 1]).toBe('file=ext3.img,if=virtio,format=raw,cache=writeback,id=disk0');
    // the second serial port (ttyS1) carries the host's answers to the guest
    expect(a.filter((x, i) => a[i - 1] === '-serial')).toEqual(['stdio', 'chardev:host']);
    expect(a[a.indexOf('-chardev') + 1]).toBe('socket,id=host,path=/r/host.sock,server=on,wait=off');
    expect(a[a.indexOf('-qmp') + 1]).toBe('unix:/r/qmp.sock,server=on,wait=off');
    expect(a).toContain('-no-reboot');
    expect(a).not.toContain('-cpu');
    // the rig's own runs: the console into a file, which never answers EAGAIN as a pipe does
    const f = qemuArgs({ kernel: 'bz', initrd: 'i.gz', accel: 'tcg', consoleFile: '/r/ext3-console.log' });
    expect(f[f.indexOf('-serial') + 1]).toBe('file:/r/ext3-console.log');
    expect(qemuArgs({ kernel: 'k', initrd: 'i', accel: 'kvm' })).toContain('-cpu');
    // an SMP kernel gets its vCPUs; a uniprocessor one no -smp at all
    const smp = qemuArgs({ kernel: 'k', initrd: 'i', accel: 'tcg', cpus: 2 });
    expect(smp[smp.indexOf('-smp') + 1]).toBe('2');
    expect(qemuArgs({ kernel: 'k', initrd: 'i', accel: 'tcg', cpus: 1 })).not.toContain('-smp');
    expect(cpusOf('CONFIG_SMP=y\nCONFIG_NR_CPUS=2\n# CONFIG_PREEMPT_NONE is not set\nCONFIG_PREEMPT=y\n')).toBe(2);
    expect(cpusOf('# Automatically generated make config: don\'t edit\n# CONFIG_SMP is not set\nCONFIG_NR_CPUS=8\n')).toBe(1);
    expect(fragmentsFor(undefined, true)).toEqual([...DEFAULT_FRAGMENTS, 'smp']);
    expect(fragmentsFor(['base-qemu-x86_64', 'ext3'], true)).toEqual(['base-qemu-x86_64', 'ext3', 'smp']);
    expect(fragmentsFor(['ext3'], false)).toEqual(['ext3']);
    expect(fragmentsFor(undefined, undefined)).toBeUndefined();
  });

  it('uses TCG unless told otherwise or KVM is proven', async () => {
    expect(await chooseAccel('auto', { FREEZE_RIG_ACCEL: 'kvm' })).toBe('kvm');
    expect(await chooseAccel('tcg', { FREEZE_RIG_ACCEL: 'kvm' })).toBe('tcg');
    expect(await chooseAccel('auto', {})).toBe('tcg');
  });

  it('takes --accel kvm, tcg or auto, and nothing else, saying what auto does', async () => {
    expect(parseAccel('kvm')).toBe('kvm');
    expect(() => parseAccel('hvf')).toThrow(/--accel hvf: not one of kvm, tcg, auto/);
    await expect(checkAccel('tcg')).resolves.toBeUndefined();
    await expect(checkAccel('auto')).resolves.toBeUndefined();
  });
});

describe('the 32-bit guest program', () => {
  it('is a freestanding static i386 binary, built as data', async () => {
    const { ioctl32CompileArgs, IOCTL32_SOURCE } = await import('../../src/guest/helper-build.ts');
    expect(ioctl32CompileArgs('/out/ioctl32')).toEqual(['-m32', '-static', '-nostdlib', '-ffreestanding', '-fno-pic', '-fno-pie', '-no-pie', '-fno-stack-protector', '-fcf-protection=none', '-O2', '-Wall', '-Wextra', '-Werror', '-o', '/out/ioctl32', IOCTL32_SOURCE]);
  });
});

describe('serial console', () => {
  it.each([
    ['[    2.345678] Kernel panic - not syncing: Attempted to kill init!', 'panic'],
    ['Kernel panic - not syncing: VFS: Unable to mount root fs', 'panic'],
    ['BUG: soft lockup - CPU#0 stuck for 61s! [xfs_io:312]', 'soft-lockup'],
    ['INFO: task writer:77 blocked for more than 120 seconds.', 'hung-task'],
    ['[ BUG: lock held when returning to user space! ]', 'lockdep'],
    ['[ INFO: possible circular locking dependency detected ]', 'lockdep'],
    ['Unable to handle kernel NULL pointer dereference at 0000000000000008 RIP:', 'oops'],
    ['Oops: 0002 [1] PREEMPT', 'oops'],
    ['kernel BUG at fs/buffer.c:234!', 'bug'],
    ['BUG: unable to handle kernel paging request at ffff', 'oops'],
    ['WARNING: at fs/super.c:123 thaw_bdev+0x1/0x2()', 'warning'],
    // DEBUG_OBJECTS and DEBUG_SLAB, as 2.6.27's lib/debugobjects.c and mm/slab.c print them
    ['ODEBUG: free active object type: timer_list', 'object-debug'],
    ['ODEBUG: object is not on stack, but annotated', 'object-debug'],
    ['ODEBUG: selftest passed', undefined],
    ['Slab corruption: size-64 start=ffff88000f8d0000, len=64', 'slab'],
    ["slab error in cache_free_debugcheck(): cache `size-64': double free, or memory outside object was overwritten", 'slab'],
    ['Redzone: 0x9f911029d74e35b/0x9f911029d74e35b.', 'slab'],
    ['ACPI: Preparing to enter system sleep state S5', undefined],
    ['EXT3-fs: mounted filesystem with ordered data mode.', undefined],
  ])('%s -> %s', (line, kind) => expect(classifyLine(line)).toBe(kind));

  it('takes results only behind the prefix, as JSON objects, and flags broken ones', () => {
    const c = parseConsole(
      ['Linux version 2.6.27', '@freeze-rig {"event":"hello","release":"2.6.27"}', '@freeze-rig {"event":', '@freeze-rig [1,2]', 'random text {"event":"fake"}'].join('\n'),
    );
    expect(c.events).toEqual([{ line: 1, data: { event: 'hello', release: '2.6.27' } }]);
    expect(c.malformed.map((m) => m.line)).toEqual([2, 3]);
  });

  it('reads a result the kernel wrote behind, and still scans the kernel text (real line, TCG under load)', () => {
    const spliced = '@freeze-rig {"event":"check","fs":"xfs","scenario":"legacy-xfs-ioctl","name":"thaw","ret":0,"errno":0,"ms":8.8,"v":0.0,"t":1320.5}ACPI: Preparing to enter system sleep state S5';
    const c = parseConsole([spliced, 'BUG: unable to handle@freeze-rig {"event":"done","note":"a } in a string"}kernel BUG at fs/super.c:1'].join('\n'));
    expect(c.events.map((e) => e.data.name ?? e.data.event)).toEqual(['thaw', 'done']);
    expect(c.events[1]!.data.note).toBe('a } in a string');
    expect(c.problems.map((p) => [p.line, p.kind, p.text])).toEqual([
      [1, 'bug', 'BUG: unable to handle'],
      [1, 'bug', 'kernel BUG at fs/super.c:1'],
    ]);
    expect(c.malformed).toEqual([]);
  });

  it('reads a result line that lost its newline and the start of its prefix behind the one before (a default run of 2026-12-01)', () => {
    const real = '@freeze-rig {"event":"check","fs":"ext3","scenario":"lazy-umount-frozen","name":"mount-again","ret":0,"errno":0,"ms":3016.3,"v":0.0,"t":3059.6}eeze-rig {"event":"check","fs":"ext3","scenario":"lazy-umount-frozen","name":"file-intact","ret":1,"errno":0,"ms":0.0,"v":0.0,"t":3099.4}';
    const c = parseConsole(real);
    expect(c.events.map((e) => e.data.name)).toEqual(['mount-again', 'file-intact']);
    expect(c.problems).toEqual([]);
    expect(c.malformed).toEqual([]);
    // a second object cut short is still a broken line
    expect(parseConsole('@freeze-rig {"event":"a"}ze-rig {"event":"check","na').malformed.map((m) => m.line)).toEqual([0]);
  });

  it('cuts an excerpt around a line', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `l${i}`);
    expect(excerpt(lines, 50, 2, 3)).toEqual(['l48', 'l49', 'l50', 'l51', 'l52', 'l53']);
    expect(excerpt(lines, 0, 5, 1)).toEqual(['l0', 'l1']);
  });
});

describe("dm-snapshot's disks", () => {
  it("gives each scenario its own disks after vda, in the order rig/guest names them, and tells the guest where they start", () => {
    const { disks, param } = guestDisks(['freeze-thaw', 'dm-snapshot', 'freeze-io-error'], 'xfs', '/r', 'xfs-1');
    expect(disks.map((x) => x.file)).toEqual([...['origin', 'cow-a', 'cow-b', 'export-a', 'export-b'].map((r) => `/r/xfs-1-dm-${r}.img`), '/r/xfs-1-ioerr-fs.img', '/r/xfs-1-ioerr-export.img']);
    expect(disks.map((x) => [x.mib, x.mkfs, x.exportOf ?? '-'])).toEqual([[128, true, '-'], [128, false, '-'], [128, false, '-'], [128, false, 'a'], [128, false, 'b'], [128, true, '-'], [128, false, 'frozen']]);
    expect(param).toBe('freeze_rig.disks=dm-snapshot:1,freeze-io-error:6');
    expect(guestDisks(['freeze-thaw'], 'ext3', '/r', 'ext3-1')).toEqual({ disks: [] });
    // vda is the run's image; the guest's export event names the disk's index (dm-snapshot's copy b: vdf = 5)
    const args = qemuArgs({ kernel: 'k', initrd: 'i', accel: 'tcg', disks: ['/r/xfs-1.img', ...disks.map((x) => x.file)].map((file) => ({ file })) });
    expect(args.filter((a) => a.startsWith('file=')).map((a) => /id=(disk\d)/.exec(a)![1])).toEqual(['disk0', 'disk1', 'disk2', 'disk3', 'disk4', 'disk5', 'disk6', 'disk7']);
    expect(args.find((a) => a.includes('dm-export-b'))).toMatch(/id=disk5$/);
  });

  it('lets mkfs.xfs make a filesystem under 300 MiB the way it does for fstests, and only then', () => {
    expect(mkfsEnv('xfs', 128)).toEqual({ TZ: 'UTC', TEST_DIR: '/nonexistent', TEST_DEV: '/nonexistent', QA_CHECK_FS: '1' });
    expect(mkfsEnv('xfs', 320)).toEqual({ TZ: 'UTC' });
    expect(mkfsEnv('ext3', 64)).toEqual({ TZ: 'UTC' });
  });
});
