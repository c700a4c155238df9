import { copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { Slots } from '../util/slots.ts';
import { basename, join } from 'node:path';
import { cpusOf } from '../config/fragments.ts';
import type { BuildRecord } from '../kbuild/build-kernel.ts';
import { shellQuote } from '../util/shell.ts';
import { prepareGuestKit, type GuestKit } from '../guest/guest-kit.ts';
import { buildInitramfs } from '../guest/initramfs.ts';
import { FILESYSTEMS, guestDisks, IMAGE_MIB, makeBlank, makeImage, remakeDiskLine, type FsName } from '../guest/disk-images.ts';
import { fsckImage } from '../guest/image-check.ts';
import { runVm, type VmResult } from '../vm/run-vm.ts';
import { qemuArgs, type Clock } from '../vm/qemu-command.ts';
import { copySparse, replayScript } from '../vm/replay.ts';
import { chooseAccel, kvmProven, type AccelChoice } from '../vm/accel.ts';
import type { CacheLayout } from '../paths.ts';
import { blockedTasksExcerpt, excerpt, stripTimestamp } from '../vm/console.ts';
import { Qmp, sysrqKeys, writeCounters } from '../vm/qmp.ts';
import { AskServer, askOf } from '../vm/host-channel.ts';
import { BackupHost } from './backup-host.ts';
import { judge, withKnownIssues, type Check, type ScenarioResult } from './judge.ts';
import { expectedFor } from './dmesg.ts';
import { progress, say } from '../util/progress.ts';
import { clockOf, realTimeReason, guestContractHeader, SCENARIOS, skipReason, splitScenarios, type ScenarioId } from './catalogue.ts';
import { flavorOf, forFlavor, knownIssueOf, type Manifest } from './manifest.ts';
import { outcomeOf } from './errno.ts';

export interface BootRecord {
  fs: FsName;
  /** the guest's name: the fs, or fs-N when its scenarios are split over VMs */
  name: string;
  /** the scenarios this guest ran */
  scenarios: string[];
  accel: string;
  /** the guest's clock: virtual (-icount, idle time skipped) or real (reports before virtual time have none: real) */
  clock?: Clock;
  /** vCPUs: more than 1 for an SMP kernel (run --smp) */
  cpus?: number;
  seconds: number;
  end: string;
  console: string;
  /** how to boot this guest again by hand: sh its reproducer script (which makes deleted disks first) */
  reproducer: string;
  /** a recorded guest that kept its recording: sh its replay script (the same console again, no rig needed; --gdb for reverse debugging) */
  replay?: string;
  /** the size of its record/replay log, in bytes */
  replayLogBytes?: number;
  /** why this guest was not recorded though the run asked for it */
  notRecorded?: string;
  problems: { kind: string; text: string }[];
  /** guest milliseconds per scenario, from the guest's own clock */
  scenarioMs: Record<string, number>;
  fsck: { command: string; exitCode: number; output: string[] };
  /** device write counters (QMP query-blockstats) after each scenario, or why there are none */
  deviceWrites: Record<string, Record<string, { wrOperations: number; wrBytes: number }>> | { error: string };
}

/**
 * Kernel arguments an SMP guest needs: noapic, so that device interrupts
 * reach CPU 0 through the 8259 PIC. With the I/O APIC, an SMP 2.6.27 guest
 * under TCG lost the serial port's transmit interrupt: the helper's lines
 * sat in the tty buffer and the guest went silent for 90 s while its init
 * was running (run --smp of 2026-12-01: 5 of 10 baseline and ext3-v1 XFS
 * guests; a SysRq's console write, which rewrites the UART's IER, let the
 * stuck "hello" out). Pure.
 */
export const smpAppend = (cpus: number): string[] => (cpus > 1 ? ['noapic'] : []);

/**
 * How often a virtual-time guest's I/O keeper looks for disk requests in
 * flight while its vCPU would otherwise idle, in ms: what a request started
 * during an idle jump can look longer by. Each look costs the guest some
 * 30k instructions, so 1 ms would spend about a quarter of a skipped wait
 * on looking.
 */
export const IO_KEEPER_PERIOD_MS = 2;

/**
 * Kernel arguments for a guest's clock. In virtual time the helper starts
 * an I/O keeper (freeze_rig.spin=MS): -icount sleep=off jumps an idle vCPU
 * to its next timer, also while a disk request the host completes in real
 * time is in flight, so the keeper keeps the vCPU busy while any request is
 * and sleeps otherwise. Without it a tickless guest jumped straight to the
 * helper's own 5 s bound on a dm call, and with nohz=off (1 ms jumps)
 * writers still resumed 1.9 s after a thaw once two guests shared the cores
 * (2026-12-06, three default runs: 6, 1 and 3 scenarios failed that pass in
 * real time). Pure.
 */
export const clockAppend = (clock: Clock): string[] => (clock === 'virtual' ? [`freeze_rig.spin=${IO_KEEPER_PERIOD_MS}`] : []);

/**
 * Virtual-time guests running at once, at most: one per host core. Such a
 * guest never sleeps in the host's time (an idle vCPU jumps to its next
 * timer, and its I/O keeper spins while a request is in flight), so more of
 * them than cores only share the cores; and before the keeper, ten of them
 * on two cores starved their own disk requests (generic-v2's XFS
 * dm-snapshot saw a dm suspend return 3.5 s after a 2 s timeout's thaw,
 * 2026-12-06). Real-time and recorded guests mostly sleep, and are not
 * counted. Shared by every run in this process.
 */
export const virtualSlots = new Slots(cpus().length);

/** A user's static workload for freeze-under-load: the binary and its arguments ("{dir}" = its directory). */
export interface Workload {
  binary: string;
  args: string[];
}

/**
 * Guests per filesystem, at most: ten TCG guests on 2 cores mostly sleep,
 * and their timers hold (kernel-config/timers). Over 7 runs of generic-v2
 * with 3 to 5 per fs the worst writer resumed 59 ms after the thaw (limit
 * 1000) and the latest timeout fired 64 ms late (tolerance 500). The longest
 * guest took 18.3 s with 3 per fs, 16.4 s with 4 and 15.2 s with 5.
 */
export const DEFAULT_VMS_PER_FS = 5;

export interface ScenarioRunOptions {
  /** the rig's cache: the guest kit's lock, the KVM probe's record */
  layout: CacheLayout;
  /** which scenarios (default: all) */
  scenarios?: readonly ScenarioId[];
  /** the user's workloads, run side by side in freeze-under-load (GUEST.maxWorkloads at most) */
  workloads?: Workload[];
  /** only these filesystems (default: both) */
  filesystems?: FsName[];
  /** guests per filesystem at most, the scenarios split between them (default DEFAULT_VMS_PER_FS) */
  vmsPerFs?: number;
  /** how long the guest waits for the host's answer (default: the guest's 20 s) */
  askTimeoutMs?: number;
  /** how long the host waits for the guest after an answer (default 30 s) */
  guestAnswerMs?: number;
  /** the helper, when it was made beside the build (default: made now) */
  guestKit?: Promise<GuestKit>;
  /** tests: the host takes the guest's asks and never answers */
  muteHost?: boolean;
  /** --accel (default auto) */
  accel?: AccelChoice;
  /** the guests' clock (default real; in virtual time a scenario in REAL_TIME runs in real time anyway, and KVM has only real time) */
  clock?: Clock;
  /** record each guest whose scenarios need no real time (QEMU record/replay); a guest with anything but passes keeps its log and a replay script */
  record?: boolean;
}

/** The scenarios the guest runs on fs: those selected that the manifest does not skip. dmesg-clean is the host's. Pure. */
export function guestScenarios(fs: FsName, manifest: Manifest, selected: readonly ScenarioId[]): ScenarioId[] {
  return selected.filter((s) => s !== 'dmesg-clean' && !skipReason(manifest.filesystems[fs], s));
}

/** The guest's kernel command line for one filesystem: what to run, how to freeze. Pure. */
export function guestAppend(fs: FsName, manifest: Manifest, selected: readonly ScenarioId[]): string {
  const m = manifest.filesystems[fs];
  const run = guestScenarios(fs, manifest, selected);
  return [
    `freeze_rig.fs=${fs}`,
    `freeze_rig.fstype=${fs}`,
    `freeze_rig.iface=${m?.iface ?? 'none'}`,
    `freeze_rig.timeout=${m?.timeout ? 1 : 0}`,
    ...(run.length ? [`freeze_rig.scenarios=${run.join(',')}`] : []),
  ].join(' ');
}

/**
 * Whether the console's report is the kernel's own account of why the guest
 * stopped in a scenario: a CPU stuck in the kernel, an oops, a BUG, a panic.
 * That is evidence about the kernel, so the scenario fails; anything else
 * (the rig's wall, a silent guest, a panic because the helper itself died)
 * stays an error of the rig. Pure.
 */
export function kernelStopped(p: { kind: string; text: string }, end: string): string | undefined {
  if (p.kind === 'soft-lockup') return end === 'lockup' ? 'the kernel locked up (soft lockup; the guest was ended after its report)' : 'the kernel locked up (soft lockup)';
  if (p.kind === 'panic') return /Attempted to kill init/.test(p.text) ? undefined : 'the kernel panicked';
  if (p.kind === 'oops' || p.kind === 'bug') return `the kernel reported ${p.kind === 'oops' ? 'an oops' : 'a BUG'}`;
  return undefined;
}

/** The observation of a scenario the kernel stopped (kernelStopped is defined for p). */
const stoppedBy = (p: { kind: string; text: string }, end: string, s: string) => `${kernelStopped(p, end)} during ${s}: ${stripTimestamp(p.text).trim()}`;

/**
 * The guest's final umount, when it failed: the reason, with the processes
 * that still held the fs (its "busy" events). The image was left mounted,
 * so the host's fsck of it is no evidence about the kernel. Pure.
 */
export function umountFailure(fs: FsName, events: Pick<VmResult, 'events'>['events']): string | undefined {
  const e = events.find((x) => x.data.event === 'error' && x.data.what === 'umount');
  if (!e) return undefined;
  const busy = events.filter((x) => x.data.event === 'busy').map((x) => `${String(x.data.comm)} (pid ${String(x.data.pid)})`);
  return `the guest could not unmount its ${fs} (umount: ${outcomeOf({ ret: -1, errno: Number(e.data.errno) })})${busy.length ? `, still held by ${busy.join(', ')}` : ''}`;
}

/** The last lines of each user workload's output, as the guest printed them (workload-line events, by workload). Pure. */
export function workloadOutput(fs: FsName, events: Pick<VmResult, 'events'>['events']): string[][] {
  const out: string[][] = [];
  for (const e of events) if (e.data.event === 'workload-line' && e.data.fs === fs) (out[Number(e.data.n ?? 0)] ??= []).push(String(e.data.text));
  return out;
}

/** Guest checks from the console events. */
const checksOf = (r: Pick<VmResult, 'events'>): Check[] => r.events.filter((e) => e.data.event === 'check').map((e) => e.data as unknown as Check);

/**
 * Turns one guest's console into results: judged where the scenario ran to
 * its end, a failure where it hung or the kernel stopped (in it, or before
 * any scenario began), an error where the guest died in it or never got to
 * it for another reason. Pure.
 */
export function resultsOf(revision: string, manifest: Manifest, fs: FsName, selected: readonly ScenarioId[], r: Pick<VmResult, 'events' | 'problems' | 'lines' | 'end'> & { endWhy?: string; malformed?: VmResult['malformed'] }, hostChecks: Check[] = []): ScenarioResult[] {
  const checks = [...checksOf(r), ...hostChecks];
  const ran = new Set(guestScenarios(fs, manifest, selected));
  const started = new Map(r.events.filter((e) => e.data.event === 'scenario' && e.data.fs === fs).map((e) => [String(e.data.scenario), e.line]));
  const finished = new Set(r.events.filter((e) => e.data.event === 'scenario-done').map((e) => String(e.data.scenario)));
  const hang = r.events.find((e) => e.data.event === 'hang');
  const ended = `the guest ended (${r.end}${r.endWhy ? `: ${r.endWhy}` : ''})`;
  const guestErrors = r.events.filter((e) => e.data.event === 'error').map((e) => JSON.stringify(e.data));
  const expected = manifest.filesystems[fs]?.dmesg?.expected ?? [];
  let stoppedIn: string | undefined;
  let silentShown = false;
  // the kernel oopsed or hit a BUG before any scenario started (at boot, or in the helper's first mount): evidence about the
  // kernel for each. Not a panic alone (no init, no root fs: the rig's initramfs) nor a soft lockup (a guest starved at boot)
  const beforeAny = started.size ? undefined : r.problems.find((p) => (p.kind === 'oops' || p.kind === 'bug') && !expectedFor(p, r.lines, expected));
  const helperUp = r.events.some((e) => e.data.event === 'hello');
  return selected.map((s): ScenarioResult => {
    const base = { revision, fs, scenario: s, metrics: {} };
    if (ran.has(s) && !finished.has(s)) {
      if (hang && hang.data.scenario === s) {
        stoppedIn = s;
        // the kernel's own BUG or oops before the hang (in any task: a kernel thread died holding a lock) comes first
        const crash = r.problems.find((p) => p.line >= (started.get(s) ?? Infinity) && p.line < hang.line && kernelStopped(p, r.end) && !expectedFor(p, r.lines, expected));
        const hung = `hung: no return within ${hang.data.after_s} s (blocked tasks and held locks follow in the console)`;
        return {
          ...base,
          status: 'fail',
          expected: 'the scenario finishes',
          observed: crash ? `${stoppedBy(crash, r.end, s)}; then ${hung}` : hung,
          console: crash ? [...excerpt(r.lines, crash.line, 8, 32), '...', ...blockedTasksExcerpt(r.lines, hang.line, 60)] : blockedTasksExcerpt(r.lines, hang.line),
        };
      }
      if (started.has(s) && !stoppedIn) {
        stoppedIn = s;
        // the report that ended the guest: the first after the start that stops a kernel (a lockdep
        // report before it does not), else the first the manifest does not explain
        const after = r.problems.filter((p) => p.line >= started.get(s)!);
        const unexplained = after.filter((p) => !expectedFor(p, r.lines, expected));
        const first = unexplained.find((p) => kernelStopped(p, r.end)) ?? unexplained[0] ?? after[0];
        const at = first?.line ?? r.lines.length - 1;
        const stuck = first && kernelStopped(first, r.end);
        if (stuck) return { ...base, status: 'fail', expected: 'the scenario finishes', observed: `${stoppedBy(first, r.end, s)} (${ended})`, console: excerpt(r.lines, at, 8, 40) };
        return { ...base, status: 'error', expected: 'the scenario finishes', observed: `${ended} during ${s}`, console: excerpt(r.lines, at, 8, 32) };
      }
      if (beforeAny) {
        const when = helperUp ? 'after the guest helper started' : 'while the kernel booted';
        return { ...base, status: 'fail', expected: 'the scenario runs', observed: `${kernelStopped(beforeAny, r.end)} before any scenario (${when}): ${stripTimestamp(beforeAny.text).trim()}`, console: excerpt(r.lines, beforeAny.line, 8, 40) };
      }
      const why = stoppedIn ? `the guest stopped in ${stoppedIn}` : `${ended} before it${guestErrors.length ? `; guest: ${guestErrors.join('; ')}` : ''}`;
      // a silent guest was asked for its tasks (sysrq w, t): the first scenario it never ran shows them, the helper's (init) too
      const asked = r.end === 'silent' && !stoppedIn && !silentShown ? r.lines.findIndex((l) => /SysRq : Show/.test(l)) : -1;
      if (asked >= 0) silentShown = true;
      return { ...base, status: 'error', expected: 'the scenario runs', observed: `not run: ${why}`, ...(asked >= 0 ? { console: blockedTasksExcerpt(r.lines, asked, 200, (t) => t === 'init') } : {}) };
    }
    const res = judge(revision, manifest, fs, s, checks, r);
    if (res.status === 'error' && guestErrors.length) res.observed += `; guest: ${guestErrors.join('; ')}`;
    // a user workload's failure is quoted with its own words
    const said = s === 'freeze-under-load' ? workloadOutput(fs, r.events) : [];
    if (said.length && (res.status === 'fail' || res.status === 'error')) res.console = said.flatMap((lines, i) => (lines?.length ? [`workload ${i}: its last ${lines.length} lines of output:`, ...lines] : []));
    const done = r.events.find((e) => e.data.event === 'scenario-done' && e.data.scenario === s)?.line ?? Infinity;
    // the kernel's own BUG or oops inside the scenario (its process was killed, its checks cut short): that is the result
    const crash = s === 'dmesg-clean' ? undefined : r.problems.find((p) => p.line >= (started.get(s) ?? Infinity) && p.line <= done && kernelStopped(p, r.end) && !expectedFor(p, r.lines, expected));
    if (crash && res.status !== 'skip') {
      const judged = res.status === 'fail' ? `; ${res.observed}` : '';
      return { ...res, status: 'fail', observed: `${stoppedBy(crash, r.end, s)}${judged}`, console: excerpt(r.lines, crash.line, 8, 32) };
    }
    // a failure shows what the kernel said while the scenario ran (e.g. "ioctl32(...): Unknown cmd")
    if (res.status === 'fail' && !res.console) {
      const from = (started.get(s) ?? r.lines.length) + 1;
      const during = r.lines.slice(from, Math.min(done, r.lines.length));
      // a call the guest found stuck: the blocked tasks' stacks it had the kernel print (sysrq w)
      const blocked = during.findIndex((l) => /SysRq : Show Blocked State/.test(l));
      const said = during.filter((l) => l.trim() && !l.startsWith('@freeze-rig '));
      if (blocked >= 0) res.console = blockedTasksExcerpt(r.lines, from + blocked, 60);
      else if (said.length) res.console = said.slice(0, 20);
    }
    // a result line the console garbled is the rig's problem, not the kernel's
    const garbled = (r.malformed ?? []).filter((m) => m.line >= (started.get(s) ?? Infinity) && m.line <= done);
    if (res.status === 'fail' && garbled.length) {
      return { ...res, status: 'error', observed: `${res.observed}; but ${garbled.length} of the guest's result lines came out garbled on the console, so this cannot be judged`, console: garbled.map((m) => `line ${m.line + 1}: ${m.text}`) };
    }
    return res;
  });
}

/**
 * Boots the revision's kernel once per filesystem (in parallel), each with a
 * fresh image, and judges every scenario against the manifest.
 */
export async function runScenarios(rec: BuildRecord, revisionManifest: Manifest, runDir: string, opts: ScenarioRunOptions): Promise<{ results: ScenarioResult[]; boots: BootRecord[] }> {
  const selected = opts.scenarios ?? SCENARIOS;
  const dir = join(runDir, rec.revision);
  await mkdir(dir, { recursive: true });
  const { helper, ioctl32 } = await (opts.guestKit ?? prepareGuestKit(opts.layout, rec.tree, guestContractHeader()));
  const files = [
    { path: 'ioctl32', data: await readFile(ioctl32), mode: 0o755 },
    ...(
      await Promise.all(
        (opts.workloads ?? []).map(async (w, i) => [
          { path: `workload-${i}`, data: await readFile(w.binary), mode: 0o755 },
          { path: `workload-${i}.args`, data: Buffer.from(w.args.map((a) => `${a}\n`).join('')) },
        ]),
      )
    ).flat(),
  ];
  const initrd = join(dir, 'initramfs.cpio.gz');
  await writeFile(initrd, buildInitramfs({ init: await readFile(helper), files }));
  const bz = rec.artifacts.find((a) => a.name === 'bzImage')!.path;
  // an SMP kernel (run --smp) boots on as many vCPUs as it was built for
  const cpus = cpusOf(await readFile(join(rec.outDir, '.config'), 'utf8'));
  // judged by what the manifest says of this kernel's flavor
  const manifest = forFlavor(revisionManifest, flavorOf(cpus));
  say(`${rec.revision}: guest helper and initramfs ready`);
  // KVM only where a real boot proved it works (nested KVM hangs this guest on these machines).
  const accel = await chooseAccel(opts.accel, process.env, () =>
    kvmProven(join(opts.layout.root, 'kvm-probe.json'), async (a) => {
      const r = await runVm({ spec: { kernel: bz, initrd, accel: a }, log: join(dir, 'kvm-probe-console.log'), wallSeconds: 20, silenceSeconds: 15 });
      return r.end === 'poweroff' && r.events.some((e) => e.data.event === 'hello');
    }),
  );
  // Each filesystem's scenarios split over parallel VMs: the guests mostly wait, so wall time follows the longest group.
  const filesystems = opts.filesystems ?? FILESYSTEMS;
  // known issues last in their guests, one that hangs in a guest of its own (splitScenarios); guests named prefix, prefix-1, ...
  const splitFor = (fs: FsName, ids: readonly ScenarioId[], prefix: string, clock: Clock) => {
    const known = Object.entries(manifest.filesystems[fs]?.knownIssues ?? {});
    const hangs = known.filter(([, k]) => knownIssueOf(k)?.hangs).map(([id]) => id);
    const groups = splitScenarios(ids, opts.vmsPerFs ?? DEFAULT_VMS_PER_FS, fs, known.map(([id]) => id), hangs);
    return (groups.length ? groups : [[]]).map((scenarios, i, all) => ({ fs, scenarios, clock, name: all.length > 1 ? `${prefix}-${i + 1}` : prefix }));
  };
  // in a virtual-time or recorded run (record/replay needs -icount), the scenarios that need real time (catalogue:
  // REAL_TIME, and NOT_RECORDED when recording) get guests of their own, named <prefix>-rt; a recorded guest's idle time is not skipped
  const runClock: Clock = accel === 'kvm' ? 'real' : opts.record ? 'virtual' : (opts.clock ?? 'real');
  const guestsFor = (fs: FsName, ids: readonly ScenarioId[], prefix: string) => {
    const virtual = ids.filter((s) => clockOf(s, runClock, !!opts.record) === 'virtual');
    const real = ids.filter((s) => clockOf(s, runClock, !!opts.record) === 'real');
    const guests = [
      ...(virtual.length || !real.length ? splitFor(fs, virtual, prefix, runClock) : []),
      ...(real.length ? splitFor(fs, real, runClock === 'virtual' && virtual.length ? `${prefix}-rt` : prefix, 'real') : []),
    ];
    return guests.map((g, i) => ({ ...g, first: i === 0 }));
  };
  const plan = filesystems.flatMap((fs) => guestsFor(fs, guestScenarios(fs, manifest, selected), fs));
  const inGuest = (fs: FsName) => new Set(plan.filter((p) => p.fs === fs).flatMap((p) => p.scenarios));
  const reproducerOf = (name: string) => join(dir, `${name}-reproducer.sh`);
  // the kernel a kept recording replays, and its vmlinux: copied beside it once, since the build dir moves on
  let replayKernel: Promise<string> | undefined;
  const runGuest = async ({ fs, scenarios, name, first, clock }: { fs: FsName; scenarios: ScenarioId[]; name: string; first: boolean; clock: Clock }) => {
    const image = join(dir, `${name}.img`);
    await makeImage(fs, image);
    // dm-snapshot and freeze-io-error have disks of their own: filesystems, COW disks, disks for the copies the host checks
    const { disks: extra, param: disksParam } = guestDisks(scenarios, fs, dir, name);
    await Promise.all(extra.map((d) => (d.mkfs ? makeImage(fs, d.file, d.mib) : makeBlank(d.file, d.mib))));
    const disks = [image, ...extra.map((d) => d.file)];
    const qmpSocket = join(dir, `${name}.qmp`);
    const writes: Record<string, Record<string, { wrOperations: number; wrBytes: number }>> = {};
    let qmp: Promise<Qmp> | undefined;
    let qmpError: string | undefined;
    // one connection (QEMU serves one QMP client); a failure is recorded, and never left unhandled
    const connectQmp = () => {
      const c = Qmp.connect(qmpSocket);
      c.catch((err: Error) => (qmpError ??= err.message));
      return c;
    };
    const hostChannel = join(dir, `${name}.host`);
    const backup = new BackupHost(fs, dir, name, () => qmp);
    const stopped = new AbortController();
    const asks = new AskServer({
      channel: hostChannel,
      handlers: backup.handlers,
      onGuestSilent: (after) => stopped.abort(`the guest printed nothing for ${opts.guestAnswerMs ?? 30_000} ms after the host answered "${after.what}-${after.label}" (host side); killed`),
      guestMs: opts.guestAnswerMs,
      mute: opts.muteHost,
    });
    // one line of the live board per guest: the scenario it is in, then how it ended
    const live = progress(`${rec.revision}/${name}`);
    live.update(`booting (${accel}, ${clock} time)`);
    const append = [guestAppend(fs, manifest, scenarios), ...(disksParam ? [disksParam] : []), ...smpAppend(cpus), ...clockAppend(opts.record ? 'real' : clock), ...(opts.askTimeoutMs ? [`freeze_rig.ask_timeout_ms=${opts.askTimeoutMs}`] : [])].join(' ');
    // recorded: the disks as they are at boot are kept aside first, since a replay must start from them
    const recording = opts.record && clock === 'virtual' ? join(dir, `${name}.rr`) : undefined;
    const replayDisks = recording ? disks.map((_, i) => `${name}-replay-disk${i}.img`) : [];
    await Promise.all(replayDisks.map((copy, i) => copySparse(disks[i]!, join(dir, copy))));
    const r = await runVm({
      spec: { kernel: bz, initrd, accel, clock, cpus, disks: disks.map((file) => ({ file })), append, qmpSocket, hostChannel, ...(recording ? { rr: { mode: 'record' as const, file: recording } } : {}) },
      log: join(dir, `${name}-console.log`),
      reproducer: reproducerOf(name),
      // fresh disks where the run deleted them: a passing guest's image, the scenarios' own disks
      reproducerSetup: [remakeDiskLine(image, IMAGE_MIB[fs], fs), ...extra.map((d) => remakeDiskLine(d.file, d.mib, d.mkfs ? fs : undefined))],
      signal: stopped.signal,
      onEvent: (e) => {
        asks.seen();
        backup.event(e);
        const ask = askOf(e);
        if (ask) asks.take(ask);
        // QMP is up once the guest talks; sample the device after each scenario.
        // (unless the silence handler connected first: QEMU serves one QMP client, a second waits for ever)
        if (e.event === 'hello') qmp ??= connectQmp();
        if (e.event === 'scenario') live.update(`${String(e.scenario)} (${scenarios.indexOf(String(e.scenario) as ScenarioId) + 1} of ${scenarios.length})`);
        if (e.event === 'scenario-done' && qmp) {
          const id = String(e.scenario);
          qmp
            .then((q) => q.execute('query-blockstats'))
            .then((ret) => (writes[id] = writeCounters(ret)))
            .catch((err: Error) => (qmpError ??= err.message));
        }
      },
      // the guest's own watchdog ends a hung scenario within its budget (<= 60 s)
      wallSeconds: 420,
      silenceSeconds: 75,
      // a silent guest is asked for its tasks (sysrq w, t) before it is ended: what held it is evidence
      onSilent: async () => {
        const q = await (qmp ??= connectQmp());
        for (const key of ['w', 't']) await q.execute('send-key', sysrqKeys(key));
      },
    });
    live.done(`guest ${r.end} after ${r.seconds.toFixed(1)} s (${accel}, ${clock} time${cpus > 1 ? `, ${cpus} vCPUs` : ''}); checking its disks`);
    await asks.close();
    await qmp?.then((q) => q.close()).catch(() => undefined);
    // the image checked on the host after the guest shut down
    const { command, exitCode, output } = await fsckImage(fs, image);
    const check = { command, exitCode, output: output.split('\n').slice(-15) };
    const notUnmounted = umountFailure(fs, r.events);
    await Promise.all(workloadOutput(fs, r.events).map((lines, i) => lines?.length && writeFile(join(dir, `${name}-workload-${i}.out`), `${lines.join('\n')}\n`)));
    const hostChecks: Check[] = [
      { fs, scenario: 'freeze-under-load', name: 'host-fsck', ret: check.exitCode, errno: 0, ms: 0, ...(notUnmounted ? { note: notUnmounted } : {}) },
      // how many user workloads the guest was given: each must report how it ended
      { fs, scenario: 'freeze-under-load', name: 'host-workloads', ret: 0, errno: 0, ms: 0, v: (opts.workloads ?? []).length },
      ...(await backup.checks(disks)),
      ...asks.records.map((a) => ({ fs, scenario: a.scenario, name: `host-ask-${a.what}-${a.label}`, ret: a.ok ? 0 : -1, errno: 0, ms: a.ms, note: a.text })),
    ];
    // the scenarios' own disks go, except a copy that did not check clean: evidence a reviewer can open
    await Promise.all(extra.filter((d) => !backup.dirtyCopies.has(d.file)).map((d) => rm(d.file, { force: true })));
    const scenarioMs = Object.fromEntries(r.events.filter((e) => e.data.event === 'scenario-done').map((e) => [String(e.data.scenario), Number(e.data.ms)]));
    const boot: BootRecord = {
      fs,
      name,
      scenarios,
      accel,
      clock,
      cpus,
      seconds: r.seconds,
      end: r.end,
      console: basename(r.log),
      // the script, not QEMU's line: it makes the disks the run deleted first
      reproducer: `sh ${shellQuote(reproducerOf(name))}`,
      ...(opts.record && !recording ? { notRecorded: `real time: ${scenarios.map((x) => realTimeReason(x, true)).find(Boolean) ?? (accel === 'kvm' ? 'KVM has no instruction counter' : 'the run asked for it')}` } : {}),
      problems: r.problems.map((p) => ({ kind: p.kind, text: p.text })),
      scenarioMs,
      fsck: check,
      deviceWrites: qmpError ? { error: qmpError } : writes,
    };
    // the first VM of a filesystem also judges what no VM runs (the skips)
    const judged = selected.filter((s) => s !== 'dmesg-clean' && (scenarios.includes(s) || (first && !inGuest(fs).has(s))));
    const results = resultsOf(rec.revision, manifest, fs, judged, r, hostChecks).map((x) =>
      // the host's fsck said why the image is not clean: that is the evidence a reviewer needs
      x.scenario === 'freeze-under-load' && (x.status === 'fail' || x.status === 'error') && check.exitCode !== 0 ? { ...x, console: [...(x.console ?? []), `${check.command}: exit ${check.exitCode}`, ...check.output] } : x,
    );
    const dmesg = selected.includes('dmesg-clean') ? resultsOf(rec.revision, manifest, fs, ['dmesg-clean'], r)[0] : undefined;
    // a recording is kept where the guest shows anything but passes: its failure can be shown again, step by step
    const shown = (x: ScenarioResult) => x.status === 'pass' || x.status === 'skip';
    const keepRecording = recording && !(r.end === 'poweroff' && withKnownIssues(manifest, [...results, ...(dmesg ? [dmesg] : [])]).every(shown));
    if (recording && keepRecording) {
      // the kernel it ran and its symbols (3.6 MB), for gdb: the build dir moves on with the next build
      const kernel = await (replayKernel ??= Promise.all([copyFile(bz, join(dir, 'bzImage')), copyFile(join(rec.outDir, 'vmlinux'), join(dir, 'vmlinux'))]).then(() => 'bzImage'));
      const script = join(dir, `${name}-replay.sh`);
      const spec = { kernel, initrd: basename(initrd), accel: 'tcg' as const, cpus, append, hostChannel: `${name}-replay.host`, disks: replayDisks.map((file) => ({ file, snapshot: true })), rr: { mode: 'replay' as const, file: basename(recording) } };
      await writeFile(script, replayScript(`${rec.revision} ${name}`, join(dir, 'vmlinux'), ['qemu-system-x86_64', ...qemuArgs(spec)]), { mode: 0o755 });
      Object.assign(boot, { replay: `sh ${shellQuote(script)}`, replayLogBytes: (await stat(recording)).size });
    } else if (recording) await Promise.all([recording, ...replayDisks.map((d) => join(dir, d))].map((f) => rm(f, { force: true })));
    // a guest whose scenarios all passed (or failed as a known issue of the manifest says), that powered off with its image
    // unmounted and clean and no kernel report that stopped it, leaves no image (64-320 MiB each; its reproducer makes a fresh
    // one); any other image is evidence
    const clean = r.end === 'poweroff' && check.exitCode === 0 && !notUnmounted && !r.problems.some((p) => kernelStopped(p, r.end));
    const expected = (x: ScenarioResult) => x.status === 'pass' || x.status === 'skip' || (x.status === 'fail' && x.known !== undefined);
    if (clean && withKnownIssues(manifest, [...results, ...(dmesg ? [dmesg] : [])]).every(expected)) await rm(image, { force: true });
    return { boot, results, dmesg };
  };
  // virtual-time guests take turns on the cores; the others start at once
  const runOne = (g: Parameters<typeof runGuest>[0]) => (g.clock === 'virtual' && !opts.record ? virtualSlots.run(() => runGuest(g)) : runGuest(g));
  const perVm = await Promise.all(plan.map(runOne));
  // scenarios a guest never got to (an earlier one hung or crashed it, or it went silent) get a fresh guest each fs, once
  // (split as the first guests were, so that a known issue among them still comes last)
  const again = filesystems.flatMap((fs) => {
    const notRun = new Set(perVm.flatMap((v) => v.results.filter((x) => x.fs === fs && notRunYet(x)).map((x) => x.scenario)));
    return notRun.size ? guestsFor(fs, SCENARIOS.filter((s) => notRun.has(s)), `${fs}-again`).map((g) => ({ ...g, first: false })) : [];
  });
  if (again.length) {
    say(`${rec.revision}: ${again.map((a) => `${a.fs} ${a.scenarios.join(' ')}`).join('; ')}: never run, an earlier scenario stopped their guest; booting fresh guests for them`);
    for (const v of perVm) v.results = v.results.filter((x) => !notRunYet(x));
    perVm.push(...(await Promise.all(again.map(runOne))));
  }
  const results = filesystems.flatMap((fs) => {
    const vms = perVm.filter((v) => v.boot.fs === fs);
    const all = vms.flatMap((v) => v.results);
    const dmesg = vms.flatMap((v) => (v.dmesg ? [{ ...v.dmesg, observed: vms.length > 1 ? `${v.boot.name}: ${v.dmesg.observed}` : v.dmesg.observed }] : []));
    if (dmesg.length) all.push(combineDmesg(dmesg));
    return selected.flatMap((s) => all.filter((x) => x.scenario === s));
  });
  return { results: withKnownIssues(manifest, results), boots: perVm.map((p) => p.boot) };
}

/** A result for a scenario its guest never started (resultsOf: "not run: ..."): it can be run in a guest of its own. Pure. */
export const notRunYet = (r: ScenarioResult) => r.status === 'error' && r.observed.startsWith('not run: ');

/** dmesg-clean over several guests of one filesystem: the first that is not clean, else all of them. Pure. */
export function combineDmesg(rs: ScenarioResult[]): ScenarioResult {
  const bad = rs.find((r) => r.status !== 'pass');
  if (bad) return bad;
  // lockdep watched the filesystem to the end only if it did in every guest
  const on = rs.map((r) => r.metrics.lockdepOnToTheEnd?.value).filter((v) => v !== undefined);
  const metrics = on.length ? { ...rs[0]!.metrics, lockdepOnToTheEnd: { value: Math.min(...on), unit: 'yes/no' } } : rs[0]!.metrics;
  return { ...rs[0]!, observed: rs.map((r) => r.observed).join('; '), metrics };
}

