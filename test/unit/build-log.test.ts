import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { newWarnings, parseBuildLog, type Diagnostic } from '../../src/kbuild/build-log.ts';
import { compilerCommand, makeArgs } from '../../src/config/make-command.ts';
import { reproducerScript, shellLine } from '../../src/util/shell.ts';

const fixture = (name: string) => new URL(`../fixtures/build-logs/${name}`, import.meta.url);

describe('kbuild logs (a real gcc 12 build of 2.6.27 + compat, allnoconfig + rig fragments)', async () => {
  const log = gunzipSync(await readFile(fixture('gcc12-2.6.27-allno-qemu.log.gz'))).toString();
  const s = parseBuildLog(log, '/SRC');

  it('counts compiled units and every warning', () => {
    expect(s.compiled).toBe(693); // grep -c '^  CC  '
    expect(s.warnings).toHaveLength(1061); // grep -c ': warning:'
    expect(s.errors).toHaveLength(0);
    expect(s.failures).toHaveLength(0);
  });

  it('keeps file, line, column, message and flag, relative to the tree', () => {
    expect(s.warnings[0]).toEqual({
      file: 'include/linux/log2.h',
      line: 22,
      column: 1,
      kind: 'warning',
      message: 'ignoring attribute ‘noreturn’ because it conflicts with attribute ‘const’',
      flag: '-Wattributes',
      // the last file of gcc's "In file included from" chain (asm-offsets.c includes asm-offsets_64.c)
      unit: 'arch/x86/kernel/asm-offsets.c',
    });
  });

  it("puts every compiler warning on the unit whose compile reported it, a header's by gcc's include chain", () => {
    const cc = s.warnings.filter((d) => d.line > 0);
    expect(cc.filter((d) => !d.unit)).toEqual([]);
    for (const d of cc) expect(d.unit, `${d.file}:${d.line}`).toMatch(/\.[cS]$/);
    // a unit's own warnings are its own; a header's name a unit that this build compiled
    expect(cc.filter((d) => /\.c$/.test(d.file) && d.unit !== d.file)).toEqual([]);
    const compiled = new Set(s.units);
    expect(cc.filter((d) => !compiled.has(d.unit!)).map((d) => d.unit)).toEqual([]);
  });

  it('reads a real link failure: 2.6.27 without the mutex compat patch (non-debug config)', async () => {
    const failed = parseBuildLog(gunzipSync(await readFile(fixture('gcc12-2.6.27-nodebug-without-mutex-compat.log.gz'))).toString(), '/SRC');
    expect(failed.errors).toHaveLength(0);
    expect(failed.failures.some((f) => f.includes("undefined reference to `__mutex_lock_slowpath'"))).toBe(true);
    expect(failed.failures.at(-1)).toMatch(/^make: \*\*\* .*Error 2$/);
  });

  it("counts the assembler's errors: IA32_EMULATION without compat 0012 (binutils 2.40), a real log", async () => {
    const failed = parseBuildLog(gunzipSync(await readFile(fixture('gcc12-2.6.27-ia32-emulation-without-uaccess-compat.log.gz'))).toString(), '/SRC');
    expect(failed.errors).toEqual([
      { file: 'include2/asm/uaccess_64.h', line: 86, column: 0, kind: 'error', message: 'operand type mismatch for `movq\'' },
      { file: 'include2/asm/uaccess_64.h', line: 86, column: 0, kind: 'error', message: 'operand type mismatch for `movq\'' },
    ]);
    expect(failed.failures.at(-1)).toMatch(/^make: \*\*\* .*ia32_signal.o\] Error 2$/);
  });

  it('reads errors and make failures', () => {
    const f = parseBuildLog(
      [
        '  CC      block/blk-core.o',
        '/SRC/block/blk-core.c:1510:17: error: expected expression before ‘}’ token',
        'make[2]: *** [/SRC/scripts/Makefile.build:213: block/blk-core.o] Error 1',
        'kernel/built-in.o: In function `mutex_lock\':',
        "mutex.c:(.text+0x1a): undefined reference to `__mutex_lock_slowpath'",
      ].join('\n'),
      '/SRC',
    );
    expect(f.errors[0]).toMatchObject({ file: 'block/blk-core.c', line: 1510, kind: 'error' });
    expect(f.failures).toHaveLength(2);
  });

  it('finds the warnings a revision adds, ignoring moved line numbers', () => {
    const w = (file: string, line: number, message: string): Diagnostic => ({ file, line, column: 1, kind: 'warning', message });
    const base = [w('fs/ioctl.c', 10, 'unused variable ‘x’'), w('fs/buffer.c', 5, 'old')];
    const now = [w('fs/ioctl.c', 14, 'unused variable ‘x’'), w('fs/buffer.c', 5, 'old'), w('fs/ioctl.c', 99, 'new one')];
    expect(newWarnings(base, now)).toEqual([w('fs/ioctl.c', 99, 'new one')]);
  });

  it('does not count an ld warning as new because the code around it moved', () => {
    // real: baseline and generic-v2 5/5 link jiffies_64 at different addresses
    const ld = (file: string, at: string): Diagnostic => ({ file, line: 0, column: 0, kind: 'warning', message: `multiple definition of \`jiffies_64'; kernel/built-in.o:(.data+${at}): first defined here` });
    const base = [ld('.tmp_vmlinux1:(*ABS*+0xffffffff80453500)', '0x2340')];
    const now = [ld('.tmp_vmlinux1:(*ABS*+0xffffffff80453900)', '0x2380')];
    expect(newWarnings(base, now)).toEqual([]);
  });
});

describe('make command lines', () => {
  it('builds out of tree, the source named relative to the build dir, with the gcc 12 flags inside CC', () => {
    expect(makeArgs({ srcDir: '/t/k-generic-v2/linux', outDir: '/t/k-generic-v2/build-1', targets: ['bzImage'], jobs: 2, ccache: true })).toEqual([
      '-C',
      '/t/k-generic-v2/build-1',
      '-f',
      '../linux/Makefile',
      'KBUILD_SRC=../linux',
      'ARCH=x86_64',
      'CC=ccache gcc -fno-pie -no-pie -fno-stack-protector -fcf-protection=none -fgnu89-inline -fmacro-prefix-map=../linux/=',
      'HOSTCC=gcc',
      'KCONFIG_NOTIMESTAMP=1',
      'KBUILD_BUILD_VERSION=1',
      'KBUILD_BUILD_TIMESTAMP=Thu Oct 9 22:13:53 UTC 2008',
      'KBUILD_BUILD_USER=freeze-rig',
      'KBUILD_BUILD_HOST=freeze-rig',
      '-j2',
      'bzImage',
    ]);
    expect(compilerCommand(false).startsWith('gcc ')).toBe(true);
  });

  it('writes reproducer.sh: what runs, with why as comments, one exec line', () => {
    expect(reproducerScript(['the build of v2'], ['make', '-C', '/b', 'CC=gcc -fno-pie'])).toBe("#!/bin/sh\n# the build of v2\nset -e\nexec make -C /b 'CC=gcc -fno-pie'\n");
    expect(reproducerScript([], ['qemu'], { A: 'x y' })).toBe("#!/bin/sh\nset -e\nexec env A='x y' qemu\n");
    expect(reproducerScript([], ['qemu'], {}, ['[ -e a ] || truncate -s 1M a'])).toBe('#!/bin/sh\nset -e\n[ -e a ] || truncate -s 1M a\nexec qemu\n');
  });

  it('quotes a reproducer for the shell', () => {
    expect(shellLine(['make', 'CC=gcc -fno-pie', "it's"])).toBe(`make 'CC=gcc -fno-pie' 'it'\\''s'`);
  });
});
