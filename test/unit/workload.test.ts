/**
 * The user's workload: checked before anything is built (real binaries,
 * compiled here with musl-gcc and gcc), and judged by what the guest says
 * of it (its exit status, its bound, its output, an fs it left mounted).
 */
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkWorkload, workloadProblem } from '../../src/guest/workload.ts';
import { judge, type Check } from '../../src/scenarios/judge.ts';
import { resultsOf, umountFailure, workloadOutput } from '../../src/scenarios/run-scenarios.ts';
import { parseWorkloads } from '../../src/commands/run.ts';
import { loadRevision } from '../../src/pipeline/revision.ts';
import { repoPath } from '../../src/paths.ts';
import { RigError } from '../../src/errors.ts';
import { useTmp } from '../helpers/tmp.ts';

const tmp = useTmp();
const v3 = (await loadRevision('generic-v3')).manifest!;
const exit3 = repoPath('test/fixtures/workloads/exit3.c');

describe('a workload is checked before anything is built', () => {
  it('takes a static musl build; refuses a dynamic one, a glibc static one (kernel too old) and a script, saying what to do', async () => {
    const d = await tmp();
    await execa('musl-gcc', ['-static', '-O2', '-o', join(d, 'musl'), exit3]);
    await execa('gcc', ['-O2', '-o', join(d, 'dynamic'), exit3]);
    await execa('gcc', ['-static', '-O2', '-o', join(d, 'glibc-static'), exit3]);
    expect(workloadProblem(await readFile(join(d, 'musl')))).toBeUndefined();
    await expect(checkWorkload(join(d, 'musl'))).resolves.toBeUndefined();
    expect(workloadProblem(await readFile(join(d, 'dynamic')))).toMatch(/^dynamically linked \(it asks for the loader \/lib.*ld-linux.*\): the guest has no loader and no libraries; build it static/);
    expect(workloadProblem(await readFile(join(d, 'glibc-static')))).toMatch(/^its C library asks for Linux \d+\.\d+\.\d+ or later .*"FATAL: kernel too old".*the guest runs 2\.6\.27: build it with musl-gcc -static$/);
    expect(workloadProblem(Buffer.from('#!/bin/sh\necho hi\n'.padEnd(64)))).toMatch(/^not an ELF executable/);
    const e = await checkWorkload(join(d, 'dynamic')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RigError);
    expect((e as RigError).message).toMatch(/^--workload .*dynamic: dynamically linked/);
    expect(((await checkWorkload(join(d, 'nothing')).catch((x: unknown) => x)) as RigError).message).toMatch(/cannot read it \(ENOENT\)/);
  }, 60_000);
});

describe('judging freeze-under-load with a user workload', () => {
  const c = (name: string, ret: number, ms = 0, v?: number, note?: string): Check => ({ fs: 'ext3', scenario: 'freeze-under-load', name, ret, errno: 0, ms, ...(v !== undefined ? { v } : {}), ...(note ? { note } : {}) });
  const cycles = (n: number) => Array.from({ length: n }, (_, i) => [c('freeze', 0, 30, i), c('ops-while-frozen', 0, 300, 0), c('thaw', 0, 5, i)]).flat();
  const rest = [c('workers-finished', 1, 40), c('ops', 0, 0, 900)];

  it('passes a workload that outlived the cycles and was killed at its bound, the image clean: no one failed', () => {
    const r = judge('g', v3, 'ext3', 'freeze-under-load', [...cycles(24), ...rest, c('workload-exited', -9, 16100, 1), c('host-fsck', 0)]);
    expect(r.status, r.observed).toBe('pass');
    expect(r.metrics).toMatchObject({ workloadKilledAtBound: { value: 1, unit: 'yes/no' }, cycles: { value: 24, unit: 'cycles' } });
  });

  it('fails a workload that exited 3, or that a signal ended before its bound', () => {
    expect(judge('g', v3, 'ext3', 'freeze-under-load', [...cycles(10), ...rest, c('workload-exited', 3, 12, 0), c('host-fsck', 0)]).observed).toBe('the user workload exited 3');
    expect(judge('g', v3, 'ext3', 'freeze-under-load', [...cycles(10), ...rest, c('workload-exited', -11, 12, 0), c('host-fsck', 0)]).observed).toBe('the user workload was killed by signal 11');
    expect(judge('g', v3, 'ext3', 'freeze-under-load', [...cycles(9), ...rest, c('host-fsck', 0)]).observed).toMatch(/^9 freezes and 9 thaws reported, expected 10 or more/);
  });

  it('calls a workload the guest never started (fork or pipe failed) an error of the rig, not a pass without it', () => {
    const sent = (n: number) => c('host-workloads', 0, 0, n);
    expect(judge('g', v3, 'ext3', 'freeze-under-load', [...cycles(10), ...rest, c('host-fsck', 0), sent(1)])).toMatchObject({ status: 'error', observed: 'the rig did not get there: 1 of the 1 user workload(s) never ran in the guest' });
    expect(judge('g', v3, 'ext3', 'freeze-under-load', [...cycles(24), ...rest, c('workload-exited', -9, 16100, 1), c('host-fsck', 0), sent(2)]).status).toBe('error');
    expect(judge('g', v3, 'ext3', 'freeze-under-load', [...cycles(24), ...rest, c('workload-exited', -9, 16100, 1), c('host-fsck', 0), sent(1)]).status).toBe('pass');
    expect(judge('g', v3, 'ext3', 'freeze-under-load', [...cycles(10), ...rest, c('host-fsck', 0), sent(0)]).status).toBe('pass');
  });

  it('calls an image the guest could not unmount an error of the rig, naming who held it, and does not blame the kernel for its fsck', () => {
    const events = [
      { line: 1, data: { event: 'busy', pid: 231, comm: 'outlive' } },
      { line: 2, data: { event: 'error', what: 'umount', errno: 16 } },
    ];
    const note = umountFailure('ext3', events)!;
    expect(note).toBe('the guest could not unmount its ext3 (umount: EBUSY), still held by outlive (pid 231)');
    const r = judge('g', v3, 'ext3', 'freeze-under-load', [...cycles(10), ...rest, c('host-fsck', 4, 0, undefined, note)]);
    expect(r).toMatchObject({ status: 'error', observed: `the rig did not get there: ${note}; the host's fsck of the image left mounted (exit 4) is not evidence about the kernel` });
    // an image that happens to check clean does not make it a pass: the fs was left mounted all the same
    const clean = judge('g', v3, 'ext3', 'freeze-under-load', [...cycles(10), ...rest, c('host-fsck', 0, 0, undefined, note)]);
    expect(clean).toMatchObject({ status: 'error', observed: `the rig did not get there: ${note}; the host's fsck of the image left mounted (exit 0) is not evidence about the kernel` });
    expect(umountFailure('ext3', [])).toBeUndefined();
  });

  it("quotes the workload's own output in a failure", () => {
    const events = [
      { line: 0, data: { event: 'scenario', fs: 'ext3', scenario: 'freeze-under-load' } },
      ...[...cycles(10), ...rest, c('workload-exited', 3, 12, 0)].map((x, i) => ({ line: i + 1, data: { event: 'check', ...x } })),
      { line: 40, data: { event: 'workload-output', fs: 'ext3', n: 0, bytes: 48 } },
      { line: 41, data: { event: 'workload-line', fs: 'ext3', n: 0, text: 'exit3: giving up on /mnt/workload-0 with status 3' } },
      { line: 42, data: { event: 'scenario-done', fs: 'ext3', scenario: 'freeze-under-load' } },
    ];
    expect(workloadOutput('ext3', events)).toEqual([['exit3: giving up on /mnt/workload-0 with status 3']]);
    const [res] = resultsOf('generic-v3', v3, 'ext3', ['freeze-under-load'], { events, problems: [], lines: [], end: 'poweroff' }, [c('host-fsck', 0)]);
    expect(res).toMatchObject({ status: 'fail', observed: 'the user workload exited 3', console: ['workload 0: its last 1 lines of output:', 'exit3: giving up on /mnt/workload-0 with status 3'] });
  });

  it('judges each of several workloads: one killed at its bound is fine, the other that exited 3 is named', () => {
    const r = judge('g', v3, 'ext3', 'freeze-under-load', [...cycles(24), ...rest, c('workload-exited', -9, 16100, 1), c('workload-exited', 3, 16100, 0), c('host-fsck', 0)]);
    expect(r.observed).toBe('the user workload 1 exited 3');
  });
});

describe('the workloads on the command line', () => {
  it('takes the argv after --, one group per --workload in order, and refuses what does not pair up', () => {
    expect(parseWorkloads(['/w/fsstress'], ['-d', '{dir}', '-n', '3000'])).toEqual([{ binary: '/w/fsstress', args: ['-d', '{dir}', '-n', '3000'] }]);
    expect(parseWorkloads(['/w/a', '/w/b'], ['-p', '4', '--', '-s', '{dir}/f'])).toEqual([
      { binary: '/w/a', args: ['-p', '4'] },
      { binary: '/w/b', args: ['-s', '{dir}/f'] },
    ]);
    expect(parseWorkloads(['/w/a', '/w/b'], [])).toEqual([{ binary: '/w/a', args: [] }, { binary: '/w/b', args: [] }]);
    expect(parseWorkloads([], [])).toEqual([]);
    expect(() => parseWorkloads([], ['-d', 'x'])).toThrow(/^arguments without --workload: -d x/);
    expect(() => parseWorkloads(['/w/a'], ['-p', '--', '-s'])).toThrow(/^2 argument groups \(separated by --\) for 1 workload\(s\)/);
    expect(() => parseWorkloads(['a', 'b', 'c', 'd', 'e'], [])).toThrow(/^5 workloads: at most 4 run side by side/);
  });
});
