import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildRecord } from '../build/build-kernel.ts';
import { installHeaders } from '../build/headers.ts';
import { shellLine } from '../build/make-command.ts';
import { buildHelper } from '../guest/helper-build.ts';
import { buildInitramfs } from '../guest/initramfs.ts';
import { makeImage, type FsName } from '../guest/disk-images.ts';
import { runVm } from '../vm/run-vm.ts';
import { chooseAccel } from '../vm/accel.ts';
import { excerpt } from '../vm/console.ts';
import { judge, SCENARIOS, type Check, type ScenarioResult } from '../scenarios/judge.ts';
import type { Manifest } from '../scenarios/manifest.ts';

export const FILESYSTEMS: FsName[] = ['ext3', 'xfs'];

export interface BootRecord {
  fs: FsName;
  accel: string;
  seconds: number;
  end: string;
  console: string;
  reproducer: string;
  problems: { kind: string; text: string }[];
}

/** The guest's kernel command line for one filesystem: what to run, how to freeze. Pure. */
export function guestAppend(fs: FsName, manifest: Manifest, scenarios: readonly string[]): string {
  const iface = manifest.filesystems[fs]?.iface;
  const run = iface ? scenarios.join(',') : '';
  return [`freeze_rig.fs=${fs}`, `freeze_rig.fstype=${fs}`, `freeze_rig.iface=${iface ?? 'none'}`, ...(run ? [`freeze_rig.scenarios=${run}`] : [])].join(' ');
}

/**
 * Boots the revision's kernel once per filesystem (in parallel), each with a
 * fresh image, and judges every scenario against the manifest.
 */
export async function runScenarios(rec: BuildRecord, manifest: Manifest, runDir: string): Promise<{ results: ScenarioResult[]; boots: BootRecord[] }> {
  const dir = join(runDir, rec.revision);
  await mkdir(dir, { recursive: true });
  const include = await installHeaders(rec.tree.dir, rec.outDir);
  const helper = await buildHelper(join(rec.outDir, 'guest'), include);
  const initrd = join(dir, 'initramfs.cpio.gz');
  await writeFile(initrd, buildInitramfs({ init: await readFile(helper) }));
  const bz = rec.artifacts.find((a) => a.name === 'bzImage')!.path;
  const accel = await chooseAccel();
  const perFs = await Promise.all(
    FILESYSTEMS.map(async (fs) => {
      const image = join(dir, `${fs}.img`);
      await makeImage(fs, image);
      const r = await runVm({
        spec: { kernel: bz, initrd, accel, disks: [{ file: image }], append: guestAppend(fs, manifest, SCENARIOS) },
        log: join(dir, `${fs}-console.log`),
        wallSeconds: 120,
        silenceSeconds: 30,
      });
      const checks = r.events.filter((e) => e.data.event === 'check').map((e) => e.data as unknown as Check);
      const boot: BootRecord = {
        fs,
        accel,
        seconds: r.seconds,
        end: r.end,
        console: r.log,
        reproducer: shellLine(r.argv),
        problems: r.problems.map((p) => ({ kind: p.kind, text: p.text })),
      };
      const guestErrors = r.events.filter((e) => e.data.event === 'error').map((e) => JSON.stringify(e.data));
      const results = SCENARIOS.map((s) => {
        const res = judge(rec.revision, manifest, fs, s, checks);
        if (res.status === 'error' && guestErrors.length) res.observed += `; guest: ${guestErrors.join('; ')}`;
        if (r.end !== 'poweroff' && res.status !== 'skip' && res.status !== 'pass') {
          // The guest did not finish: say how, with the console lines that show it.
          const at = r.problems[0]?.line ?? r.lines.length - 1;
          res.status = 'error';
          res.observed = `${res.observed}; guest ended: ${r.end}\n${excerpt(r.lines, at, 5, 10).join('\n')}`;
        }
        return res;
      });
      return { boot, results };
    }),
  );
  return { results: perFs.flatMap((p) => p.results), boots: perFs.map((p) => p.boot) };
}
