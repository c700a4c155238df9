import { describe, expect, it } from 'vitest';
import { mergeWarnings, parseBuildLog, type Diagnostic } from '../../src/kbuild/build-log.ts';
import { parseSize, sizeDelta, sizeArgs } from '../../src/kbuild/size.ts';
import { checkpatchArgs, parseCheckpatch } from '../../src/tree/checkpatch.ts';
import { writeCounters } from '../../src/vm/qmp.ts';
import { blockedTasksExcerpt } from '../../src/vm/console.ts';
import { subjectOf } from '../../src/kbuild/patch-records.ts';
import { parseScenarios, resultLine } from '../../src/commands/run.ts';
import { RigError } from '../../src/errors.ts';

const w = (file: string, line: number, message = 'unused variable'): Diagnostic => ({ file, line, column: 1, kind: 'warning', message });

describe('what the rig records of a revision', () => {
  it('keeps the warnings of files an incremental build did not recompile, and replaces those it did', () => {
    const before = [w('fs/ioctl.c', 10), w('fs/super.c', 5), w('include/linux/fs.h', 3)];
    const now = [w('fs/ioctl.c', 12, 'new one'), w('include/linux/fs.h', 3), w('include/linux/fs.h', 3)];
    expect(mergeWarnings(before, now, ['fs/ioctl.c'])).toEqual([w('fs/super.c', 5), w('fs/ioctl.c', 12, 'new one'), w('include/linux/fs.h', 3)]);
    // a recompiled file with no warnings any more loses them
    expect(mergeWarnings(before, [], ['fs/super.c'])).toEqual([w('fs/ioctl.c', 10), w('include/linux/fs.h', 3)]);
  });

  it("keeps a header's warning while a unit that reported it is not recompiled, though another unit now reports on that header", () => {
    // real: generic-v3 after run --per-patch lost cmpxchg_64.h:40 (from a unit not recompiled at 10/10) when a recompiled unit warned at cmpxchg_64.h:81
    const h = (line: number, unit: string): Diagnostic => ({ ...w('include2/asm/cmpxchg_64.h', line, 'array subscript'), unit });
    const before = [h(40, 'kernel/a.c'), h(81, 'fs/b.c'), { ...w('fs/b.c', 7), unit: 'fs/b.c' }];
    const merged = mergeWarnings(before, [h(81, 'fs/b.c')], ['fs/b.c']);
    expect(merged).toEqual([h(40, 'kernel/a.c'), h(81, 'fs/b.c')]);
    // the same header warning from two units is kept for each, so either alone keeps it standing
    expect(mergeWarnings([h(40, 'kernel/a.c'), h(40, 'fs/b.c')], [], ['fs/b.c'])).toEqual([h(40, 'kernel/a.c')]);
    expect(mergeWarnings([h(40, 'kernel/a.c'), h(40, 'fs/b.c')], [], ['fs/b.c', 'kernel/a.c'])).toEqual([]);
  });

  it('puts a warning in a .c that another .c includes on the unit that includes it (asm-offsets.c includes asm-offsets_64.c)', () => {
    const log = (warn: boolean) =>
      parseBuildLog(
        [
          '  CC      arch/x86/kernel/asm-offsets.s',
          ...(warn ? ['In file included from /SRC/arch/x86/kernel/asm-offsets.c:4:', '/SRC/arch/x86/kernel/asm-offsets_64.c: In function ‘main’:', '/SRC/arch/x86/kernel/asm-offsets_64.c:30:5: warning: unused variable ‘x’ [-Wunused-variable]'] : []),
          '  AS      arch/x86/kernel/entry_64.o',
        ].join('\n'),
        '/SRC',
      );
    const first = log(true);
    expect(first.warnings[0]).toMatchObject({ file: 'arch/x86/kernel/asm-offsets_64.c', unit: 'arch/x86/kernel/asm-offsets.c' });
    expect(first.units).toEqual(['arch/x86/kernel/asm-offsets.c', 'arch/x86/kernel/entry_64.S']);
    // asm-offsets.c compiled again without it: the warning is gone
    const again = log(false);
    expect(mergeWarnings(first.warnings, again.warnings, again.units)).toEqual([]);
  });

  it("keeps ld's warnings about objects an incremental build did not link again (real lines)", () => {
    const cold = parseBuildLog(
      [
        '  AS      arch/x86/vdso/vdso-note.o',
        'ld: warning: arch/x86/vdso/vdso-note.o: missing .note.GNU-stack section implies executable stack',
        'ld: warning: arch/x86/kernel/acpi/realmode/wakeup.elf has a LOAD segment with RWX permissions',
        '  LD      .tmp_vmlinux1',
        "ld: .tmp_vmlinux1:(*ABS*+0xffffffff80453900): warning: multiple definition of `jiffies_64'; kernel/built-in.o:(.data+0x2380): first defined here",
      ].join('\n'),
    );
    // a build with nothing changed relinks vmlinux only
    const noop = parseBuildLog(
      [
        '  LD      vmlinux.o',
        'ld: warning: arch/x86/kernel/built-in.o: requires executable stack (because the .note.GNU-stack section is executable)',
        '  LD      .tmp_vmlinux1',
        "ld: .tmp_vmlinux1:(*ABS*+0xffffffff80455900): warning: multiple definition of `jiffies_64'; kernel/built-in.o:(.data+0x2380): first defined here",
      ].join('\n'),
    );
    expect(noop.targets).toEqual(['vmlinux.o', '.tmp_vmlinux1']);
    const merged = mergeWarnings(cold.warnings, noop.warnings, noop.units, noop.targets).map((d) => `${d.file} ${d.message.split(' ')[0]}`);
    // the stale jiffies_64 warning (an old address) is gone, the unlinked objects' stay
    expect(merged).toEqual([
      'ld arch/x86/vdso/vdso-note.o:',
      'ld arch/x86/kernel/acpi/realmode/wakeup.elf',
      'ld arch/x86/kernel/built-in.o:',
      '.tmp_vmlinux1:(*ABS*+0xffffffff80455900) multiple',
    ]);
  });

  it('reads vmlinux section sizes and their change', () => {
    const out = '   text\t   data\t    bss\t    dec\t    hex\tfilename\n2592413\t 280212\t6510816\t9383441\t 8f2e11\tvmlinux\n';
    expect(sizeArgs('vmlinux')).toEqual(['size', '-B', 'vmlinux']);
    const s = parseSize(out)!;
    expect(s).toEqual({ text: 2592413, data: 280212, bss: 6510816 });
    expect(sizeDelta({ text: 2592000, data: 280212, bss: 6510800 }, s)).toEqual({ text: 413, data: 0, bss: 16 });
  });

  it("counts checkpatch.pl's errors and warnings", () => {
    const out = 'WARNING: line over 80 characters\n#185: FILE: fs/ioctl.c:277:\n\nERROR: "foo * bar" should be "foo *bar"\ntotal: 1 errors, 1 warnings, 214 lines checked\n';
    expect(parseCheckpatch(out)).toEqual({ errors: 1, warnings: 1, findings: ['WARNING: line over 80 characters', 'ERROR: "foo * bar" should be "foo *bar"'] });
    expect(parseCheckpatch('perl: something broke')).toBeUndefined();
    expect(checkpatchArgs('/t', 'p.patch')).toEqual(['perl', '/t/scripts/checkpatch.pl', '--root', '/t', 'p.patch']);
  });

  it('reads the subject of a mailbox patch', () => {
    expect(subjectOf('From: a\nSubject: [PATCH 1/4] vfs: add FIFREEZE\n\nbody')).toBe('[PATCH 1/4] vfs: add FIFREEZE');
  });

  it("reads QMP's block statistics", () => {
    const ret = [{ device: '', qdev: '/machine/peripheral-anon/device[0]/virtio-backend', stats: { wr_operations: 12, wr_bytes: 49152, rd_operations: 3 } }];
    expect(writeCounters(ret)).toEqual({ '/machine/peripheral-anon/device[0]/virtio-backend': { wrOperations: 12, wrBytes: 49152 } });
  });

  it('keeps the D-state stacks and held locks of a sysrq dump, not every sleeping thread', () => {
    const lines = [
      '@freeze-rig {"event":"hang"}',
      'SysRq : Show State',
      'events/0      S 0000000000000000     0     5      2',
      ' [<ffffffff802349ba>] worker_thread+0xda/0x100',
      'init          D 0000000000000000     0   285      1',
      ' ffff88000f183e68 0000000000000096 ffffffff804fa700 ffff88000f182000',
      'Call Trace:',
      ' [<ffffffff8031d6da>] xfs_attr_quiesce+0x1a/0x90',
      'Showing all locks held in the system:',
      ' #0:  (&bdev->bd_fsfreeze_mutex){--..}',
      '@freeze-rig {"event":"done"}',
    ];
    expect(blockedTasksExcerpt(lines, 0)).toEqual([lines[0], lines[4], lines[6], lines[7], lines[8], lines[9]]);
  });

  it('refuses an unknown scenario id as a usage error, naming the known ones', () => {
    expect(parseScenarios(['writes-block', 'freeze-thaw'])).toEqual(['freeze-thaw', 'writes-block']);
    expect(() => parseScenarios(['writes-blocks'])).toThrow(RigError);
    expect(() => parseScenarios(['writes-blocks'])).toThrow(/unknown scenario writes-blocks/);
  });

  it('prints the reason for a skip and the finding for anything else', () => {
    const base = { revision: 'baseline', fs: 'ext3' as const, scenario: 'freeze-thaw', metrics: {} };
    expect(resultLine({ ...base, status: 'skip', expected: 'no freeze interface', observed: 'not run' })).toMatch(/^SKIP .* no freeze interface$/);
    expect(resultLine({ ...base, status: 'fail', expected: 'x', observed: 'freeze: ENOTTY, expected 0\nmore' })).toMatch(/FAIL .* freeze: ENOTTY, expected 0$/);
  });
});

describe('warning paths', () => {
  it('makes the paths gcc prints under O= relative to the tree, so revisions compare', async () => {
    const { relativeTo } = await import('../../src/kbuild/build-log.ts');
    const tree = '/c/trees/a3fc1f3d3ed0-generic-v2/linux';
    expect(relativeTo('../../trees/a3fc1f3d3ed0-generic-v2/linux/fs/ioctl.c', tree)).toBe('fs/ioctl.c');
    expect(relativeTo('/c/trees/a3fc1f3d3ed0-generic-v2/linux/fs/ioctl.c', tree)).toBe('fs/ioctl.c');
    expect(relativeTo('../linux/fs/ioctl.c', tree)).toBe('fs/ioctl.c');
    expect(relativeTo('include2/asm/pda.h', tree)).toBe('include2/asm/pda.h');
  });
});
