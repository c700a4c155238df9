import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expectationError } from '../errors.ts';
import { prepareGuestKit } from '../guest/guest-kit.ts';
import type { CacheLayout } from '../paths.ts';
import { buildInitramfs } from '../guest/initramfs.ts';
import { runVm, type VmResult } from '../vm/run-vm.ts';
import { excerpt } from '../vm/console.ts';
import { chooseAccel } from '../vm/accel.ts';
import { shellLine } from '../util/shell.ts';
import type { BuildRecord } from '../kbuild/build-kernel.ts';
import { guestContractHeader } from '../scenarios/catalogue.ts';

export interface SmokeResult {
  release: string;
  accel: string;
  seconds: number;
  console: string;
  reproducer: string;
}

/**
 * Boots a bzImage with the guest helper as /init and checks that it reports
 * the kernel's release: the proof that the build boots to userspace.
 */
export async function bootSmoke(layout: CacheLayout, rec: BuildRecord, runDir: string, tag = 'smoke'): Promise<SmokeResult> {
  await mkdir(runDir, { recursive: true });
  const bzImage = rec.artifacts.find((a) => a.name === 'bzImage')!.path;
  const expectRelease = rec.kernel.version;
  const { helper } = await prepareGuestKit(layout, rec.tree, guestContractHeader());
  const initrd = join(runDir, `${tag}-initramfs.cpio.gz`);
  await writeFile(initrd, buildInitramfs({ init: await readFile(helper) }));
  const accel = await chooseAccel('auto');
  const r = await runVm({
    spec: { kernel: bzImage, initrd, accel },
    log: join(runDir, `${tag}-console.log`),
    wallSeconds: 60,
    silenceSeconds: 30,
  });
  const reproducer = shellLine(r.argv);
  const hello = r.events.find((e) => e.data.event === 'hello');
  if (r.end !== 'poweroff' || !hello) throw bootFailure(r, reproducer);
  const release = String(hello.data.release);
  if (!release.startsWith(expectRelease)) {
    throw expectationError(`the guest runs Linux ${release}, expected ${expectRelease}`, { hint: `console: ${r.log}` });
  }
  return { release, accel, seconds: r.seconds, console: r.log, reproducer };
}

/** What went wrong in a boot, with the console lines that show it. */
export function bootFailure(r: VmResult, reproducer: string) {
  const first = r.problems.find((p) => p.kind !== 'warning' && p.kind !== 'lockdep') ?? r.problems[0];
  const what: Record<string, string> = {
    panic: 'the kernel panicked',
    timeout: 'the guest did not finish within its time limit',
    silent: 'the guest stopped printing',
    overflow: 'the guest flooded the console',
    'qemu-died': `QEMU exited (code ${r.exitCode}) before the guest finished`,
    poweroff: 'the guest powered off without reporting',
  };
  const at = first ? first.line : r.lines.length - 1;
  const details = [...(first ? [`first problem: ${first.kind}`] : []), ...excerpt(r.lines, at, 12, 25).map((l) => `| ${l}`)];
  if (r.stderr.trim()) details.push(...r.stderr.trim().split('\n').map((l) => `qemu: ${l}`));
  return expectationError(`boot failed: ${what[r.end] ?? r.end} after ${r.seconds.toFixed(1)} s`, {
    details,
    hint: `console log: ${r.log}\nreproduce: ${reproducer}`,
  });
}
