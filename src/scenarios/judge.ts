import type { FsName } from '../guest/disk-images.ts';
import { GUEST, LIMITS, skipReason, type ScenarioId, isScenario } from './catalogue.ts';
import { ERRNO, outcomeOf } from './errno.ts';
import { COMPAT32_CALLS, knownIssueOf, TIMEOUT_FORMS, type Compat32Call, type DmOutcome, type FsManifest, type Manifest, type Outcome, type RemountOutcome } from './manifest.ts';
import { judgeDmesg, type ConsoleFacts } from './dmesg.ts';

/** thaw-timeout-race: three hammered rounds, then the forced one (rig/guest/timeouts.c). */
const RACE_ROUNDS = 4;

/** One observation the guest (or the host, for host-* names) made. */
export interface Check {
  fs: string;
  scenario: string;
  name: string;
  ret: number;
  errno: number;
  ms: number;
  /** a value the check carries: a count, a requested time, a round */
  v?: number;
  /** when the guest made the check, in ms from the scenario's start */
  t?: number;
  /** host checks: what the host found, in words */
  note?: string;
}

export type Status = 'pass' | 'fail' | 'skip' | 'error';

export interface Metric {
  value: number;
  unit: string;
}

export interface ScenarioResult {
  revision: string;
  fs: FsName;
  scenario: string;
  status: Status;
  expected: string;
  observed: string;
  metrics: Record<string, Metric>;
  /** console lines that show a failure */
  console?: string[];
  /** what the guest reported, in order: the evidence, and the timeline's data */
  checks?: Omit<Check, 'fs' | 'scenario'>[];
  /**
   * The manifest's known issue for this scenario: the scenario still runs,
   * and its failure is the issue's evidence, not a regression.
   */
  known?: string;
  /** the known issue is intermittent (manifest): a pass is no news */
  knownIntermittent?: true;
}

/**
 * How a result counts for the verdict. A known issue's failure is
 * expected; its pass means the manifest is out of date (the issue no longer
 * reproduces), which a run must say as loudly as a failure. An error is the
 * rig's and is never excused. Pure.
 */
export type Standing = 'met' | 'missed' | 'known-failed' | 'known-passed';
export function standingOf(r: Pick<ScenarioResult, 'status' | 'known' | 'knownIntermittent'>): Standing {
  if (r.known && r.status === 'fail') return 'known-failed';
  if (r.known && r.status === 'pass' && !r.knownIntermittent) return 'known-passed';
  return r.status === 'fail' || r.status === 'error' ? 'missed' : 'met';
}

/**
 * A run's verdict from its results: "fail" when the kernel (or a build)
 * missed an expectation or a known issue no longer reproduces; "error" when
 * nothing failed on the kernel's account but the rig could not judge some
 * scenarios; else "pass". An error is never excused, and never blamed on
 * the kernel. Pure.
 */
export function verdictOf(results: readonly ScenarioResult[], unbuildable = 0): { verdict: 'pass' | 'fail' | 'error'; failed: ScenarioResult[]; errored: ScenarioResult[]; knownFailed: ScenarioResult[] } {
  const failed = results.filter((r) => r.status !== 'error' && ['missed', 'known-passed'].includes(standingOf(r)));
  const errored = results.filter((r) => r.status === 'error');
  const knownFailed = results.filter((r) => standingOf(r) === 'known-failed');
  return { verdict: failed.length || unbuildable ? 'fail' : errored.length ? 'error' : 'pass', failed, errored, knownFailed };
}

/** Marks the results whose scenario the manifest lists as a known issue on their fs. Pure. */
export function withKnownIssues(manifest: Manifest, results: ScenarioResult[]): ScenarioResult[] {
  return results.map((r) => {
    const issue = knownIssueOf(manifest.filesystems[r.fs]?.knownIssues?.[r.scenario]);
    if (!issue || r.status === 'skip') return r;
    return issue.intermittent ? { ...r, known: issue.why, knownIntermittent: true } : { ...r, known: issue.why };
  });
}

/** What a scenario judge works with: the checks, and a place to put findings. */
class Findings {
  problems: string[] = [];
  metrics: Record<string, Metric> = {};
  constructor(readonly checks: Check[]) {}

  get(name: string): Check | undefined {
    return this.checks.find((c) => c.name === name);
  }
  all(name: string): Check[] {
    return this.checks.filter((c) => c.name === name);
  }
  problem(text: string): void {
    this.problems.push(text);
  }
  /** The rig did not create the situation the scenario is about: an error, unless the kernel failed anyway. */
  inconclusive: string[] = [];
  missed(text: string): void {
    this.inconclusive.push(text);
  }
  metric(name: string, value: number | undefined, unit: string): void {
    if (value !== undefined && Number.isFinite(value)) this.metrics[name] = { value: Math.round(value * 10) / 10, unit };
  }
  /** The call `name` must have had this outcome ("0" or an errno name). */
  want(name: string, outcome: string): boolean {
    const got = outcomeOf(this.get(name));
    if (got === outcome) return true;
    this.problem(`${name}: ${got}, expected ${outcome}`);
    return false;
  }
  /** A true/false observation (ret 1 = yes) that must hold. */
  yes(name: string, what: string): Check | undefined {
    const c = this.get(name);
    if (!c) this.problem(`${name}: not reported`);
    else if (c.ret !== 1) this.problem(what);
    return c;
  }
}

const howRemount = (o: RemountOutcome) => (o === 'waits-for-thaw' ? 'waits for the thaw' : o === '0' ? 'succeeds' : `is ${o}`);

/**
 * One remount of a frozen fs (rig/guest/mounts.c, remount_while_frozen):
 * its outcome against the manifest, the thaw after it, and the device's
 * write counters around it, read by the host while frozen.
 */
function remountWhileFrozen(f: Findings, label: string, what: string, mode: RemountOutcome, freeze: string | undefined, thaw: Outcome = '0'): void {
  if (freeze && !f.want(freeze, '0')) return;
  const returned = f.get(`remount-${label}-returned`);
  const res = f.get(`remount-${label}`);
  if (!returned || !res) return f.problem(`${what}: not reported`);
  // the guest's 1.2 s wait took far longer: the host left it without CPU, so "while frozen" is not known
  if (returned.ms > GUEST.blockMs + 1500) return f.missed(`${what}: the guest's ${GUEST.blockMs} ms wait for it took ${Math.round(returned.ms)} ms (the guest got no CPU), so whether it returned while frozen is unknown`);
  const got = returned.ret === 1 ? outcomeOf(res) : res.ret === 0 ? 'waits-for-thaw' : `blocked while frozen, then ${outcomeOf(res)} after the thaw`;
  if (got !== mode) f.problem(`${what}: ${got === 'waits-for-thaw' ? 'waited for the thaw' : got === '0' ? 'succeeded while frozen' : got}, expected ${mode === 'waits-for-thaw' ? 'it to wait for the thaw' : mode === '0' ? 'success' : mode}`);
  f.want(`thaw-${label}`, thaw);
  const w = f.get(`host-device-writes-remount-${label}`);
  if (!w) f.problem(`${what}: the host did not read the device counters around it`);
  else if (w.ret !== 0 || (w.v ?? 0) !== 0) f.problem(`${what}: ${w.ret} write requests (${w.v} bytes) reached the frozen device (${w.note ?? ''})`);
}

/** A writer that must block while frozen and resume soon after the thaw. */
function blockedThenResumed(f: Findings, blocked: string, resumed: string, label: string): void {
  const b = f.get(blocked);
  const r = f.get(resumed);
  if (!b || b.ret !== 1 || b.ms < LIMITS.blockedAtLeastMs) f.problem(`${label} not blocked after ${b?.ms ?? '?'} ms frozen`);
  if (!r || r.ret !== 1) f.problem(`${label} did not resume within 5 s of the thaw`);
  else if (r.ms > LIMITS.resumeWithinMs) f.problem(`${label} resumed only ${r.ms} ms after the thaw`);
}

type Judge = (f: Findings, m: FsManifest) => string;

const expiryOk = (ms: number | undefined) => ms !== undefined && Math.abs(ms - LIMITS.timeoutMs) <= LIMITS.expiryToleranceMs;

/** Each judge records problems and metrics and returns what was expected, in words. */
const JUDGES: Record<Exclude<ScenarioId, 'dmesg-clean'>, Judge> = {
  'freeze-thaw': (f) => {
    f.want('freeze', '0');
    f.want('thaw', '0');
    f.metric('freezeLatency', f.get('freeze')?.ms, 'ms');
    f.metric('thawLatency', f.get('thaw')?.ms, 'ms');
    return 'freeze 0, thaw 0';
  },
  'writes-block': (f) => {
    if (f.want('freeze', '0')) {
      blockedThenResumed(f, 'blocked-while-frozen', 'writer-resumed', 'writer');
      f.yes('data-reads-back', 'data does not read back');
    }
    f.metric('freezeLatency', f.get('freeze')?.ms, 'ms');
    f.metric('thawLatency', f.get('thaw')?.ms, 'ms');
    f.metric('blockedFor', f.get('blocked-while-frozen')?.ms, 'ms');
    f.metric('writerWakeLatency', f.get('writer-resumed')?.ms, 'ms');
    return `write+fsync blocked >= ${LIMITS.blockedAtLeastMs} ms while frozen, returns <= ${LIMITS.resumeWithinMs} ms after thaw, data reads back`;
  },
  'metadata-blocks': (f) => {
    if (f.want('freeze', '0')) {
      for (const op of ['create', 'mkdir', 'rename', 'unlink']) {
        blockedThenResumed(f, `${op}-blocked`, `${op}-resumed`, op);
        f.metric(`${op}WakeLatency`, f.get(`${op}-resumed`)?.ms, 'ms');
      }
      f.yes('effects-visible', 'the operations did not all take effect');
    }
    return `create, mkdir, rename and unlink blocked >= ${LIMITS.blockedAtLeastMs} ms while frozen, each returns <= ${LIMITS.resumeWithinMs} ms after thaw and takes effect`;
  },
  'reads-proceed': (f) => {
    if (f.want('freeze', '0')) {
      for (const n of ['stat-proceeds', 'read-proceeds']) {
        const c = f.get(n);
        if (!c || c.ret !== 1 || c.ms > LIMITS.readWithinMs) f.problem(`${n.replace('-proceeds', '')} took ${c?.ms ?? '?'} ms while frozen`);
      }
    }
    f.metric('statLatency', f.get('stat-proceeds')?.ms, 'ms');
    f.metric('readLatency', f.get('read-proceeds')?.ms, 'ms');
    return `stat and read return within ${LIMITS.readWithinMs} ms on a frozen noatime mount`;
  },
  errors: (f, m) => {
    const e = m.errors!;
    f.want('thaw-thawed', e.thawThawed);
    if (f.want('first-freeze', '0')) {
      f.want('second-freeze', e.secondFreeze);
      f.want('thaw-after-second', '0');
      f.yes('thawed-after-one-thaw', 'still frozen after one thaw');
    }
    f.want('nonroot-freeze', e.nonRootFreeze);
    if (f.want('root-freeze', '0')) {
      f.want('nonroot-thaw', e.nonRootThaw);
      f.want('root-thaw', '0');
    }
    f.want('cannot-freeze', e.cannotFreeze);
    return `thaw of a thawed fs ${e.thawThawed}, second freeze ${e.secondFreeze}, non-root freeze ${e.nonRootFreeze} and thaw ${e.nonRootThaw}, tmpfs ${e.cannotFreeze}`;
  },
  'timeout-fires': (f, m) => {
    if (f.want('freeze', '0')) {
      const x = f.get('expired');
      if (!x || x.ret !== 1) f.problem(`the timeout did not fire within ${LIMITS.timeoutMs + 3000} ms`);
      else if (!expiryOk(x.ms)) f.problem(`expired after ${x.ms} ms, not ${LIMITS.timeoutMs} ± ${LIMITS.expiryToleranceMs} ms`);
      f.want('thaw-after-expiry', m.timeout!.thawAfterExpiry);
      if (x?.ret === 1) {
        f.metric('expiry', x.ms, 'ms');
        f.metric('timeoutError', x.ms - LIMITS.timeoutMs, 'ms');
      }
    }
    return `a ${LIMITS.timeoutMs} ms timeout thaws within ${LIMITS.expiryToleranceMs} ms of it, the writer resumes, a later thaw is ${m.timeout!.thawAfterExpiry}`;
  },
  'timeout-reset': (f, m) => {
    if (f.want('freeze', '0')) {
      const resets = f.all('reset');
      if (resets.length !== 6) f.problem(`${resets.length} resets reported, expected 6`);
      for (const r of resets) if (r.ret !== 0) f.problem(`reset ${r.v} at ${r.ms} ms: ${outcomeOf(r)}`);
      f.yes('frozen-through-heartbeat', 'thawed before the heartbeat stopped');
      const t = f.get('thawed-after-last-reset');
      if (!t || t.ret !== 1) f.problem('did not thaw after the last reset');
      else if (!expiryOk(t.ms)) f.problem(`thawed ${t.ms} ms after the last reset, not ${LIMITS.timeoutMs} ± ${LIMITS.expiryToleranceMs} ms`);
      f.want('reset-thawed', m.timeout!.reset!.resetThawed);
      f.metric('frozenFor', f.get('frozen-through-heartbeat')?.ms, 'ms');
      f.metric('expiryAfterLastReset', t?.ret === 1 ? t.ms : undefined, 'ms');
      if (t?.ret === 1) f.metric('timeoutError', t.ms - LIMITS.timeoutMs, 'ms');
    }
    return `resets every 1 s keep a ${LIMITS.timeoutMs} ms timeout from firing for ${LIMITS.heartbeatMs} ms; it fires ${LIMITS.timeoutMs} ± ${LIMITS.expiryToleranceMs} ms after the last; a reset on a thawed fs is ${m.timeout!.reset!.resetThawed}`;
  },
  'timeout-compat-args': (f, m) => {
    const forms = m.timeout!.forms;
    for (const form of TIMEOUT_FORMS) {
      const want = forms[form];
      if (want === 'none' || want === 'expires') {
        if (!f.want(`freeze-${form}`, '0')) continue;
        const held = f.get(`held-${form}`);
        if (want === 'none') {
          if (held?.ret !== 1) f.problem(`${form}: thawed by itself after ${held?.ms ?? '?'} ms (a timeout where none was asked for)`);
          f.want(`thaw-${form}`, '0');
        } else {
          if (held?.ret !== 0) f.problem(`${form}: still frozen after 1.6 s (the 1 s timeout did not fire)`);
          f.want(`thaw-${form}`, m.timeout!.thawAfterExpiry);
        }
      } else {
        f.want(`freeze-${form}`, want);
      }
    }
    return `timeout argument forms: ${TIMEOUT_FORMS.map((x) => `${x} ${forms[x] === 'none' ? 'means no timeout' : forms[x] === 'expires' ? 'is a 1 s timeout' : `is ${forms[x]}`}`).join(', ')}`;
  },
  'self-deadlock-rescue': (f, m) => {
    if (f.want('freeze', '0')) {
      const r = f.get('rescued');
      if (!r || r.ret !== 1) f.problem('the freezer\'s own write never returned');
      else if (r.ms > LIMITS.timeoutMs + 1000) f.problem(`the freezer's own write returned only after ${r.ms} ms`);
      f.want('thaw-after-rescue', m.timeout!.thawAfterExpiry);
      f.metric('rescuedAfter', r?.ret === 1 ? r.ms : undefined, 'ms');
    }
    return `the freezer's own write returns when the ${LIMITS.timeoutMs} ms timeout fires (<= ${LIMITS.timeoutMs + 1000} ms)`;
  },
  'thaw-timeout-race': (f) => {
    const rounds = f.all('freeze');
    if (rounds.length !== RACE_ROUNDS) f.problem(`${rounds.length} rounds reported, expected ${RACE_ROUNDS}`);
    for (const r of rounds) if (r.ret !== 0) f.problem(`freeze: ${outcomeOf(r)}`);
    let timerWon = 0;
    for (let round = 0; round < RACE_ROUNDS; round++) {
      const at = (n: string) => f.all(n).find((c) => c.v === round);
      const name = round === RACE_ROUNDS - 1 ? 'the forced round' : `round ${round}`;
      if (at('hammers-returned')?.ret !== 1) f.problem(`${name}: thaws did not return within ${LIMITS.timeoutMs / 1000 + 5} s`);
      const ok = at('manual-thaws-succeeded')?.ret ?? NaN;
      if (!(ok <= 1)) f.problem(`${name}: ${ok} manual thaws succeeded (a double thaw)`);
      if (ok === 0) timerWon++;
      const other = at('thaws-other-errno')?.ret ?? 0;
      if (other) f.problem(`${name}: ${other} thaws failed with an errno other than EINVAL`);
      if (at('thawed-after-race')?.ret !== 1) f.problem(`${name}: still frozen after the race`);
    }
    f.metric('roundsWonByTimeout', timerWon, 'rounds');
    const seen = f.all('expiry-seen').find((c) => c.v === RACE_ROUNDS - 1);
    f.metric('forcedRoundSawExpiry', seen?.ret, 'yes/no');
    return `four processes thawing across the expiry (3 rounds), then two thaws inside the running timeout (forced): at most one manual thaw succeeds, the rest EINVAL, the fs ends thawed, nothing hangs or spins`;
  },
  'reset-at-expiry': (f) => {
    const resets = f.all('reset');
    const late = GUEST.expiryLateMs;
    // the guest stops after the first round that lost its timer
    const lostLast = f.all('thawed-after-reset').some((c) => c.v === resets.length - 1 && c.ret !== 1);
    if (resets.length !== late.length && !(lostLast && resets.length < late.length)) f.problem(`${resets.length} rounds reported, expected ${late.length}`);
    let hit = 0;
    for (const [i, r] of resets.entries()) {
      const thawed = f.all('thawed-after-reset').find((c) => c.v === i);
      const when = `round ${i} (reset ${r.v ?? '?'} ms past the deadline)`;
      // EINVAL with the fs already writable: the work ran before the reset, so this round missed the moment
      if (outcomeOf(r) === 'EINVAL' && thawed?.ret === 1 && thawed.ms < LIMITS.resumeWithinMs) continue;
      hit++;
      if (r.ret !== 0) {
        f.problem(`${when}: the reset returned ${outcomeOf(r)}, expected 0 while the timeout's work had not run`);
      } else if (!thawed || thawed.ret !== 1) {
        f.problem(`${when}: the reset returned 0 but the fs was still frozen ${thawed ? Math.round(thawed.ms) : '?'} ms after it: the reset lost the timer`);
      } else if (!expiryOk(thawed.ms)) {
        f.problem(`${when}: thawed ${thawed.ms} ms after the reset, not ${LIMITS.timeoutMs} ± ${LIMITS.expiryToleranceMs} ms`);
      }
    }
    if (resets.length && !hit) f.missed(`in all ${resets.length} rounds the timeout's work ran before the reset (EINVAL, the fs already thawed): no reset came in the moment of expiry`);
    f.metric('roundsInTheWindow', hit, 'rounds');
    const t = f.all('thawed-after-reset').filter((c) => c.ret === 1);
    if (t.length) f.metric('expiryAfterResetMax', Math.max(...t.map((c) => c.ms)), 'ms');
    f.metric('roundsTimerLost', f.all('thawed-after-reset').filter((c) => c.ret !== 1).length, 'rounds');
    return `a reset issued ${late.join(', ')} ms past the deadline, before the timeout's work could run (SCHED_FIFO), returns 0 and the fs thaws ${LIMITS.timeoutMs} ± ${LIMITS.expiryToleranceMs} ms after it`;
  },
  'legacy-xfs-ioctl': (f, m) => {
    const want = m.legacyXfsIoctl!;
    if (want !== 'works') {
      f.want('freeze', want);
      return `'X' 119 with an int 1: ${want}`;
    }
    if (f.want('freeze', '0')) {
      blockedThenResumed(f, 'blocked-while-frozen', 'writer-resumed', 'writer');
      f.want('thaw', '0');
    }
    return "'X' 119/120 with a pointer to an int 1 (xfs_freeze) freeze and thaw: writers block, then resume";
  },
  'umount-frozen': (f, m) => {
    const mode = m.umountFrozen!;
    if (f.want('freeze', '0')) {
      const u = f.get('umount-while-frozen');
      if (mode === 'EBUSY') {
        f.want('umount-while-frozen', 'EBUSY');
        f.want('thaw', '0');
      } else if (u?.ret !== 1) {
        f.problem(`umount-while-frozen: ${outcomeOf(u)}, expected it to wait for the thaw`);
      }
      f.want('umount-after-thaw', '0');
      f.want('mount-again', '0');
    }
    return mode === 'EBUSY'
      ? 'umount of a frozen fs is EBUSY, succeeds after thaw, the fs mounts again'
      : 'umount of a frozen fs waits for the thaw (the timeout), then succeeds; the fs mounts again';
  },
  compat32: (f, m) => {
    const want = m.compat32!;
    const ran = f.get('ioctl32-ran');
    if (ran) return f.missed(`the 32-bit program did not get to its ioctl (exit ${ran.errno})`), '32-bit callers';
    const name: Record<Compat32Call, string> = { freeze: 'freeze32', thaw: 'thaw32', reset: 'reset32', xfsFreeze: 'xfs-freeze32', xfsThaw: 'xfs-thaw32' };
    for (const call of COMPAT32_CALLS) {
      const w = want[call];
      if (w === undefined) continue;
      if (!f.get(name[call])) f.problem(`${name[call]}: not reported`);
      else f.want(name[call], w);
    }
    f.yes('writable-after', 'still frozen after the 32-bit calls and the thaws');
    return `from a 32-bit process: ${COMPAT32_CALLS.filter((c) => want[c] !== undefined).map((c) => `${name[c]} ${want[c]}`).join(', ')}`;
  },
  'remount-frozen': (f, m) => {
    const want = m.remountFrozen!;
    remountWhileFrozen(f, 'same', 'remount with unchanged flags', want.same, 'freeze-same');
    f.yes('writable-after-same', 'not writable after the remount and thaw');
    remountWhileFrozen(f, 'ro', 'remount,ro', want.ro, 'freeze-ro');
    const roOk = outcomeOf(f.get('remount-ro')) === '0';
    const ro = f.get('read-only-after-ro');
    if (ro && ro.ret !== (roOk ? 1 : 0)) f.problem(`remount,ro ${roOk ? 'succeeded but the fs is not read-only' : 'failed but the fs is read-only'}`);
    f.yes('writable-after-ro', 'not writable again after remount,ro and back');
    return `while frozen, a remount with unchanged flags ${howRemount(want.same)} and remount,ro ${howRemount(want.ro)}; nothing reaches the frozen device, no thaw blocks, the fs is writable after`;
  },
  'freeze-read-only': (f, m) => {
    const want = m.freezeReadOnly!;
    if (f.want('remount-ro', '0') && f.want('freeze', want.freeze) && want.freeze === '0') remountWhileFrozen(f, 'rw', 'remount rw of the frozen read-only fs', want.remountRw, undefined, want.thaw);
    f.yes('writable-after', 'not writable after the remount rw and the thaw');
    return `a read-only fs: the freeze ${want.freeze === '0' ? 'succeeds' : `is ${want.freeze}`}, a remount rw while frozen ${howRemount(want.remountRw)}, the thaw ${want.thaw === '0' ? 'succeeds' : `is ${want.thaw}`}; nothing reaches the frozen device, the fs is writable after`;
  },
  'lazy-umount-frozen': (f, m) => {
    const want = m.lazyUmountFrozen!;
    if (f.want('freeze', '0') && f.want('lazy-umount', want) && want === '0') {
      if (f.get('thaw-detached')) f.want('thaw-detached', '0');
      f.yes('last-close-returned', 'closing the last fd of the detached frozen mount did not return');
      f.want('mount-again', '0');
      f.yes('file-intact', 'the file written before the freeze is not intact');
    }
    return want === '0'
      ? 'umount2(MNT_DETACH) of a frozen fs succeeds; the last close returns; the timeout (or a thaw through the fd) thaws the detached fs; it mounts again with its data, no oops'
      : `umount2(MNT_DETACH) of a frozen fs is ${want}`;
  },
  'freeze-under-load': (f) => {
    const freezes = f.all('freeze');
    const thaws = f.all('thaw');
    // ten cycles, more while the user's workload runs (up to its bound)
    if (freezes.length < 10 || thaws.length !== freezes.length) f.problem(`${freezes.length} freezes and ${thaws.length} thaws reported, expected 10 or more, one thaw to each freeze`);
    for (const c of [...freezes, ...thaws]) if (c.ret !== 0) f.problem(`cycle ${c.v}: ${c.name} ${outcomeOf(c)}`);
    f.yes('workers-finished', 'the load did not stop within 10 s of the last thaw');
    // one per user workload, in order; killed at its bound, as the rig says it will, is no one's failure
    const ws = f.all('workload-exited');
    const sent = f.get('host-workloads')?.v ?? 0;
    // a workload the guest could not start (fork, pipe) is the rig's problem: nothing was run
    if (ws.length < sent) f.missed(`${sent - ws.length} of the ${sent} user workload(s) never ran in the guest`);
    const which = (i: number) => (ws.length > 1 ? `the user workload ${i}` : 'the user workload');
    ws.forEach((w, i) => {
      if (w.v !== 1 && w.ret > 0) f.problem(`${which(i)} exited ${w.ret}`);
      else if (w.v !== 1 && w.ret < 0) f.problem(`${which(i)} was killed by signal ${-w.ret}`);
    });
    f.metric('workloadKilledAtBound', ws.length ? Math.max(...ws.map((w) => w.v ?? 0)) : undefined, 'yes/no');
    f.metric('workloadMs', ws.length ? Math.max(...ws.map((w) => w.ms)) : undefined, 'ms');
    f.metric('cycles', freezes.length, 'cycles');
    const fsck = f.get('host-fsck');
    if (!fsck) f.problem('the host did not check the image');
    // the guest could not unmount: the rig left the fs mounted (an error of the rig, even when the image happens to check clean), so the image says nothing about the kernel
    else if (fsck.note) f.missed(`${fsck.note}; the host's fsck of the image left mounted (exit ${fsck.ret}) is not evidence about the kernel`);
    else if (fsck.ret !== 0) f.problem(`the image does not check clean on the host (exit ${fsck.ret})`);
    f.metric('freezeLatencyMax', Math.max(...freezes.map((c) => c.ms)), 'ms');
    f.metric('thawLatencyMax', Math.max(...thaws.map((c) => c.ms)), 'ms');
    f.metric('opsWhileFrozenMax', Math.max(...f.all('ops-while-frozen').map((c) => c.v ?? 0)), 'ops');
    f.metric('ops', f.get('ops')?.v, 'ops');
    return `10 freeze/thaw cycles (more while a user workload runs, ${GUEST.workloadBoundS} s from its start at most, then its process group is killed) under two writers and a metadata process: every call 0, the load stops cleanly, a user workload exits 0 or is killed at its bound, the image checks clean on the host`;
  },
  'snapshot-consistent': (f) => {
    if (f.want('freeze', '0')) {
      const problems = snapshotProblems(f, 'frozen');
      if (problems === undefined) f.problem('the host took no snapshot while frozen');
      else for (const p of problems) f.problem(`the snapshot taken while frozen: ${p}`);
      f.want('thaw', '0');
      writersResumed(f);
    }
    f.yes('writers-finished', 'the writers did not stop within 10 s');
    const controls = f.checks.filter((c) => /^host-fsck-control\d+$/.test(c.name)).map((c) => c.name.slice('host-fsck-'.length));
    f.metric('controlSnapshotsDirty', controls.filter((l) => snapshotProblems(f, l)?.length).length, `of ${controls.length}`);
    freezeWindowMetrics(f);
    f.metric('filesChecked', f.get('host-files-frozen')?.v, 'files');
    return 'a snapshot taken while frozen under two fsync writers checks clean (e2fsck -fn / xfs_repair -n) with no journal or log recovery, and holds every file fsync\'ed before the freeze and the 8 MiB written just before it, intact; the writers resume after the thaw';
  },
  'dm-snapshot': (f, m) => {
    const want = m.dmSnapshot!;
    const copy = (label: string, what: string) => {
      if (!f.want(`export-${label}`, '0')) return;
      const problems = snapshotProblems(f, label);
      if (problems === undefined) f.problem(`the host checked no copy of ${what}`);
      else for (const p of problems) f.problem(`${what}: ${p}`);
    };
    if (m.iface && f.want('freeze-a', '0')) {
      const w = f.get('dm-suspend-while-frozen');
      const nested = w?.v === 1;
      if (!w) f.problem("dm's suspend of the frozen fs: not reported");
      else if (nested ? want.suspendWhileFrozen !== 'nests' : want.suspendWhileFrozen !== 'waits-for-thaw') {
        f.problem(`dm's suspend of a fs frozen through the interface ${nested ? 'returned while it was frozen' : `was still blocked after ${Math.round(w.ms)} ms`}, expected it to ${want.suspendWhileFrozen === 'nests' ? 'nest (return at once)' : 'wait for the thaw'}`);
      }
      const suspended = nested ? w!.ret === 0 || (f.problem(`dm's suspend of the frozen fs: ${outcomeOf(w)}`), false) : f.want('thaw-a', '0') && dmCall(f, 'dm-suspend-after-thaw', "dm's suspend, after the thaw");
      if (suspended && f.want('snapshot-a', '0') && dmCall(f, 'dm-resume-a', "dm's resume (snapshot a)")) {
        // dm's resume ends dm's freeze, not the interface's
        if (nested) f.yes('frozen-after-dm-resume', "dm's resume thawed the freeze made through the interface: a write went through before the interface's thaw");
        if (nested) f.want('thaw-a', '0');
        copy('a', 'snapshot a (the fs frozen through the interface, then dm)');
      }
      f.metric('dmSuspendWaitedForThaw', f.get('dm-suspend-after-thaw')?.ms, 'ms');
    }
    // a freezer that froze with a timeout and died: the timeout must release dm's suspend
    if (m.iface && m.timeout && f.get('freeze-t') && f.want('freeze-t', '0')) {
      const c = f.get('dm-suspend-after-timeout');
      if (!c) f.problem("dm's suspend of a fs frozen with a timeout: not reported");
      else if (c.v !== 1) f.problem(`dm's suspend of a fs frozen with a ${LIMITS.timeoutMs} ms timeout was still blocked ${Math.round(c.ms)} ms after the freeze: the timeout did not release it (stuck in D state, its stack follows in the console)`);
      else if (c.ret !== 0) f.problem(`dm's suspend of a fs frozen with a timeout: ${outcomeOf(c)}`);
      else if (want.suspendWhileFrozen === 'waits-for-thaw' && !expiryOk(c.ms)) f.problem(`dm's suspend of a fs frozen with a ${LIMITS.timeoutMs} ms timeout returned ${Math.round(c.ms)} ms after the freeze, not when the timeout thawed it (± ${LIMITS.expiryToleranceMs} ms)`);
      if (c?.v === 1 && dmCall(f, 'dm-resume-t', "dm's resume after the timeout")) f.want('thaw-after-timeout', m.timeout.thawAfterExpiry);
      f.metric('dmSuspendReleasedByTimeout', c?.v === 1 && want.suspendWhileFrozen === 'waits-for-thaw' ? c.ms : undefined, 'ms');
    }
    if (dmCall(f, 'dm-suspend-b', "dm's suspend with lockfs (snapshot b)")) {
      if (m.iface) {
        duringDmSuspend(f, 'thaw', want.thawDuringSuspend!);
        duringDmSuspend(f, 'freeze', want.freezeDuringSuspend!);
      }
      if (f.want('snapshot-b', '0') && dmCall(f, 'dm-resume-b', "dm's resume (snapshot b)")) copy('b', "snapshot b (dm's own freeze)");
    }
    // once a call stuck (a problem above), the guest stops: the writers and the umount would only wait out their bounds
    if (!f.get('wedged')) {
      writersResumed(f);
      f.yes('writers-finished', 'the writers did not stop within 10 s');
      f.yes('writable-after', 'the fs on device-mapper is not writable after the snapshots');
      f.want('dm-umount', '0');
    }
    f.metric('snapshotASetup', f.get('snapshot-a')?.ms, 'ms');
    f.metric('snapshotBSetup', f.get('snapshot-b')?.ms, 'ms');
    f.metric('dmSuspendLockfs', f.get('dm-suspend-b')?.ms, 'ms');
    f.metric('filesChecked', f.get('host-files-b')?.v, 'files');
    const a = m.iface ? `frozen through the interface, dm's suspend ${want.suspendWhileFrozen === 'nests' ? 'nests' : 'waits for the thaw'} and the snapshot checks clean${m.timeout ? `; frozen with a ${LIMITS.timeoutMs} ms timeout by a freezer that never thaws, the timeout releases dm's suspend` : ''}; ` : '';
    const b = m.iface ? `; while dm's suspend holds the freeze, the interface's thaw ${howDm(want.thawDuringSuspend!)} and its freeze ${howDm(want.freezeDuringSuspend!)}` : '';
    return `LVM-style snapshots (dm-snapshot over the origin's disk, on a fs under two fsync writers): ${a}dm's own lockfs snapshot checks clean (fsck, no recovery, every fsync'ed file intact)${b}; no task stuck, the fs writable after`;
  },
  'emergency-thaw': (f, m) => {
    const thaws = m.emergencyThaw === 'thaws';
    if (f.want('freeze', '0')) {
      f.yes('blocked-while-frozen', 'the writer was not blocked by the freeze');
      const r = f.get('resumed-after-sysrq');
      if (!r) f.problem('SysRq j: not reported');
      else if (thaws && r.ret !== 1) f.problem(`SysRq j did not thaw: the writer was still blocked ${Math.round(r.ms)} ms after it`);
      else if (thaws && r.ms > LIMITS.resumeWithinMs) f.problem(`the writer resumed only ${Math.round(r.ms)} ms after SysRq j`);
      else if (!thaws && r.ret === 1) f.problem(`SysRq j thawed the fs (the writer resumed ${Math.round(r.ms)} ms after it), which the manifest says this revision does not do`);
      // after an emergency thaw the interface's thaw finds nothing to end; without one, it ends the freeze
      f.want('thaw-after-sysrq', thaws ? m.errors!.thawThawed : '0');
      if (!thaws) writersResumed(f);
      f.metric('emergencyThawLatency', thaws && r?.ret === 1 ? r.ms : undefined, 'ms');
    }
    return thaws
      ? `SysRq j (/proc/sysrq-trigger) thaws a fs frozen with no timeout: the blocked writer resumes within ${LIMITS.resumeWithinMs} ms, and a thaw after it is ${m.errors!.thawThawed}`
      : 'SysRq j leaves a fs frozen through the interface frozen (no emergency thaw in this revision); the interface\'s thaw then ends it and the writer resumes';
  },
  'freeze-io-error': (f, m) => {
    const freeze = f.get('freeze');
    const injected = f.get('injected')?.v ?? 0;
    if (!freeze) return f.problem('freeze: not reported'), 'the freeze meets write errors';
    if (injected <= 0) f.missed('no request failed during the freeze call (FAIL_MAKE_REQUEST injected nothing), so the freeze never met an error');
    if (freeze.ret === 0) {
      const problems = snapshotProblems(f, 'frozen');
      if (problems === undefined) f.problem(`the freeze returned 0 after ${injected} failed requests, and the guest made no copy of the frozen disk for the host`);
      else for (const p of problems) f.problem(`the freeze returned 0 after ${injected} failed requests, but the disk it left: ${p}`);
      f.want('thaw', '0');
      f.yes('writable-after', 'not writable after the thaw');
    } else {
      // not frozen after a failed freeze: a write returns at once, with what the fs's own error policy says
      const after = m.freezeIoError?.afterFailedFreeze ?? '0';
      const w = f.get('write-after-failed-freeze');
      if (!w) f.problem('the write after the failed freeze: not reported');
      else if (w.ret === 1) f.problem(`the freeze failed (${outcomeOf(freeze)}) but left the filesystem frozen: a write+fsync was still blocked ${Math.round(w.ms)} ms later`);
      else if (outcomeOf(w) !== after) f.problem(`the freeze failed (${outcomeOf(freeze)}); a write+fsync after it: ${outcomeOf(w)}, expected ${after}`);
    }
    f.metric('injectedFailures', injected, 'requests');
    f.metric('freezeLatency', freeze.ms, 'ms');
    if (freeze.v !== undefined && freeze.v >= 0) f.metric('dirtyAtFreeze', freeze.v / 1024, 'MiB');
    return 'with every request to the disk failing during the freeze call (FAIL_MAKE_REQUEST), the freeze either returns an error and leaves the fs writable, or returns 0 and the disk it leaves checks clean (fsck, no recovery, every file written before it intact)';
  },
  'frozen-isolation': (f, m) => {
    const bound = m.frozenIsolation!.writeLatencyMaxMs;
    const v = (name: string) => f.get(name)?.v;
    if (!f.get('memory-held') || f.get('memory-held')!.ret !== 0) f.missed('the guest could not hold its memory, so there was no memory pressure');
    if (f.want('freeze', '0')) {
      f.want('thaw', '0');
      const n = v('writes-while-frozen') ?? 0;
      if (!n) f.problem('the other filesystem completed no write while this one was frozen');
      else if ((v('latency-max') ?? Infinity) > bound) f.problem(`a write to the other filesystem took ${Math.round(v('latency-max')!)} ms while this one was frozen (p50 ${Math.round(v('latency-p50') ?? 0)} ms, p99 ${Math.round(v('latency-p99') ?? 0)} ms, ${n} writes; before the freeze at most ${Math.round(v('latency-before') ?? 0)} ms), over the manifest's ${bound} ms`);
    }
    f.want('umount', '0');
    f.metric('otherFsWriteP50', v('latency-p50'), 'ms');
    f.metric('otherFsWriteP99', v('latency-p99'), 'ms');
    f.metric('otherFsWriteMax', v('latency-max'), 'ms');
    f.metric('otherFsWriteMaxBefore', v('latency-before'), 'ms');
    f.metric('memoryHeld', v('memory-held'), 'MiB');
    return `frozen for 10 s with pages dirtied through a mapping, writeback eager and memory short, another filesystem's 64 KiB writes (an fsync every 8th) all finish within ${bound} ms; no soft lockup`;
  },
  'no-device-writes': (f) => {
    if (f.want('freeze', '0')) {
      const w = f.get('host-device-writes');
      if (!w) f.problem('the host did not read the device counters at both ends of the frozen window');
      else if (w.ret !== 0 || (w.v ?? 0) !== 0) f.problem(`${w.ret} write requests (${w.v} bytes) reached the device during the ${Math.round(w.ms)} ms frozen window (${w.note ?? ''})`);
      const during = f.get('frozen')?.v ?? 0;
      if (during) f.problem(`the writers completed ${during} files while frozen`);
      f.want('thaw', '0');
      writersResumed(f);
      f.metric('deviceWriteRequests', w?.ret, 'requests');
      f.metric('deviceWriteBytes', w?.v, 'bytes');
      f.metric('frozenWindow', w?.ms, 'ms');
    }
    f.yes('writers-finished', 'the writers did not stop within 10 s');
    freezeWindowMetrics(f);
    writerKinds(f);
    return `no write request and no byte reaches the device (QMP query-blockstats) in a 3 s frozen window under two fsync writers, nor in a 2.5 s window of each other writer (${WRITER_KINDS.map((k) => WRITER_KIND[k]).join('; ')}) with ext3 commit=1, XFS's sync daemon and dirty expiry at 1 s and atime on`;
  },
};

/**
 * A dm or freeze call of dm-snapshot that must return: 0, else a problem;
 * one that never did (ETIMEDOUT) is a task stuck in D state, whose stack
 * the guest had the kernel print (sysrq w). True when it returned 0.
 */
function dmCall(f: Findings, name: string, what: string): boolean {
  const c = f.get(name);
  if (!c) return f.problem(`${what}: not reported`), false;
  if (c.ret < 0 && c.errno === ERRNO.ETIMEDOUT) return f.problem(`${what} did not return within ${Math.round(c.ms)} ms: stuck in D state (its stack follows in the console)`), false;
  if (c.ret !== 0) return f.problem(`${what}: ${outcomeOf(c)}, expected 0`), false;
  return true;
}

const howDm = (o: DmOutcome) => (o === 'waits-for-resume' ? "waits for dm's resume" : o === '0' ? 'succeeds' : `is ${o}`);

/**
 * dm-snapshot half b: the interface's call while dm's suspend holds the
 * freeze (ret 1: still blocked after 1.2 s, then "-after-dm-resume" says
 * how it ended). A thaw that returns 0 ended a freeze it did not make.
 */
function duringDmSuspend(f: Findings, call: 'thaw' | 'freeze', want: DmOutcome): void {
  const c = f.get(`${call}-during-dm-suspend`);
  if (!c) return f.problem(`${call} during dm's suspend: not reported`);
  const got: DmOutcome = c.ret === 1 ? 'waits-for-resume' : outcomeOf(c);
  const after = got === 'waits-for-resume' ? f.get(`${call}-after-dm-resume`) : undefined;
  const stuck = after && after.ret < 0 && after.errno === ERRNO.ETIMEDOUT;
  // a thaw that returns 0, at once or once dm resumed, ended a freeze it did not make (ext3's thaw writes its superblock, so it waits for the suspended device)
  const endedDms = call === 'thaw' && (got === '0' || (after && !stuck && after.ret === 0));
  if (got !== want || endedDms) {
    const said = endedDms ? `${got === '0' ? '0' : "it waited for dm's resume, then returned 0"}: it ended the freeze device-mapper made, which dm's resume ends a second time` : howDm(got);
    f.problem(`the interface's ${call} while dm's suspend held the freeze: ${said}; expected it ${howDm(want)}`);
  }
  if (got === 'waits-for-resume') {
    if (!after) f.problem(`the ${call} that waited for dm's resume: not reported`);
    else if (stuck) f.problem(`the ${call} that waited for dm's resume did not return within ${Math.round(after.ms)} ms of it: stuck in D state (its stack follows in the console)`);
    else if (call === 'freeze' && after.ret !== 0) f.problem(`the freeze that waited for dm's resume then failed: ${outcomeOf(after)}`);
  }
}

/** no-device-writes' other writers (rig/guest/writer-kinds.c), one frozen window each. */
const WRITER_KINDS = ['mmap', 'odirect', 'splice', 'atime'] as const;
const WRITER_KIND: Record<(typeof WRITER_KINDS)[number], string> = {
  mmap: 'stores into a shared mapping and msync',
  odirect: 'O_DIRECT writes',
  splice: 'splice from a pipe',
  atime: 'reads that update atime',
};

function writerKinds(f: Findings): void {
  const eager = f.get('eager-writeback');
  if (!eager) return f.problem('the other writers\' windows: not reported');
  if (eager.ret !== 0) return f.missed(`the remount for eager writeback (commit=1, atime on) failed: ${outcomeOf(eager)}`);
  for (const k of WRITER_KINDS) {
    if (!f.want(`freeze-${k}`, '0')) continue;
    if (!f.get(`ops-before-${k}`)?.v) f.missed(`the ${k} writer did nothing in the 300 ms before its freeze, so its window proves nothing`);
    const w = f.get(`host-device-writes-frozen-${k}`);
    if (!w) f.problem(`${k} writer: the host did not read the device counters around its frozen window`);
    // the window names the writer that ran in it; the kernel's own background writes (a sync daemon) would show in it too
    else if (w.ret !== 0 || (w.v ?? 0) !== 0) f.problem(`in the ${k} writer's ${Math.round(w.ms)} ms frozen window (${WRITER_KIND[k]}), ${w.ret} write requests (${w.v} bytes) reached the device (${w.note ?? ''})`);
    f.want(`thaw-${k}`, '0');
    f.metric(`deviceWriteRequests_${k}`, w?.ret, 'requests');
    f.metric(`opsWhileFrozen_${k}`, f.get(`ops-while-frozen-${k}`)?.v, 'ops');
  }
}

/** The writers blocked by the freeze complete a file soon after the thaw. */
function writersResumed(f: Findings): void {
  const r = f.get('writer-resumed');
  if (!r || r.ret !== 1) f.problem('the writers did not resume within 5 s of the thaw');
  else if (r.ms > LIMITS.resumeWithinMs) f.problem(`the writers resumed only ${r.ms} ms after the thaw`);
}

/** The freeze-window figures: dirty data the freeze wrote, its latency, time frozen, thaw and wake-up. */
function freezeWindowMetrics(f: Findings): void {
  const freeze = f.get('freeze');
  f.metric('freezeLatency', freeze?.ms, 'ms');
  if (freeze?.v !== undefined && freeze.v >= 0) f.metric('dirtyAtFreeze', freeze.v / 1024, 'MiB');
  f.metric('frozenFor', f.get('frozen')?.ms, 'ms');
  f.metric('thawLatency', f.get('thaw')?.ms, 'ms');
  f.metric('writerWakeLatency', f.get('writer-resumed')?.ret === 1 ? f.get('writer-resumed')!.ms : undefined, 'ms');
}

/** What is wrong with the snapshot labelled `label` (the host's checks), or undefined if the host took none. */
function snapshotProblems(f: Findings, label: string): string[] | undefined {
  const fsck = f.get(`host-fsck-${label}`);
  if (!fsck) return undefined;
  const recovery = f.get(`host-recovery-${label}`);
  const files = f.get(`host-files-${label}`);
  const out: string[] = [];
  if (fsck.ret !== 0) out.push(`fsck exit ${fsck.ret} (${fsck.note ?? ''})`);
  if (recovery?.ret) out.push(`needs ${recovery.note ?? 'recovery'}`);
  if (files?.ret) out.push(`${files.ret} of ${files.v} files written before it missing or wrong (${files.note ?? ''})`);
  return out;
}

/**
 * Judges one scenario on one filesystem against the revision's manifest.
 * Pure: the guest reports facts, this decides.
 */
export function judge(revision: string, manifest: Manifest, fs: FsName, scenario: string, all: Check[], console?: ConsoleFacts): ScenarioResult {
  const base = { revision, fs, scenario, metrics: {} as ScenarioResult['metrics'] };
  if (!isScenario(scenario)) return { ...base, status: 'error', expected: 'a known scenario', observed: `unknown scenario ${scenario}` };
  const m = manifest.filesystems[fs];
  const skip = skipReason(m, scenario);
  if (skip) return { ...base, status: 'skip', expected: skip, observed: 'not run' };
  if (scenario === 'dmesg-clean') {
    if (!console) return { ...base, status: 'error', expected: 'the console', observed: 'no console captured' };
    return { ...base, ...judgeDmesg(console, m?.dmesg?.expected ?? [], Object.keys(m?.knownIssues ?? {})) };
  }
  const checks = all.filter((c) => c.fs === fs && c.scenario === scenario);
  if (!checks.length) return { ...base, status: 'error', expected: 'guest observations', observed: 'none reported' };
  const f = new Findings(checks);
  const setup = f.get('setup');
  if (setup) return { ...base, status: 'error', expected: 'the scenario set up', observed: `setup failed: ${outcomeOf(setup)}` };
  const handshake = handshakeFailure(f);
  if (handshake) return { ...base, status: 'error', expected: 'the host answers the guest', observed: handshake };
  const expected = JUDGES[scenario](f, m!);
  return {
    ...base,
    checks: checks.map((c) => ({ name: c.name, ret: c.ret, errno: c.errno, ms: c.ms, ...(c.v !== undefined ? { v: c.v } : {}), ...(c.t !== undefined ? { t: c.t } : {}), ...(c.note ? { note: c.note } : {}) })),
    metrics: f.metrics,
    status: f.problems.length ? 'fail' : f.inconclusive.length ? 'error' : 'pass',
    expected,
    observed: f.problems.length ? f.problems.join('; ') : f.inconclusive.length ? `the rig did not get there: ${f.inconclusive.join('; ')}` : summarize(checks),
  };
}

/**
 * A failed handshake is the rig's failure, not the kernel's: which side
 * stopped answering, in words, or undefined when every ask was answered.
 */
function handshakeFailure(f: Findings): string | undefined {
  for (const c of f.checks.filter((x) => x.name.startsWith('ask-') && x.ret < 0)) {
    const what = c.name.slice(4);
    const host = f.get(`host-${c.name}`);
    if (outcomeOf(c) === 'ETIMEDOUT') return `the host did not answer "${what}" within ${Math.round(c.ms)} ms (guest side)${host?.note ? `; host: ${host.note}` : ''}`;
    return `the host answered "${what}" with an error after ${Math.round(c.ms)} ms: ${host?.note ?? outcomeOf(c)}`;
  }
  return undefined;
}

/** A short account of what the guest saw, for a passing result. */
function summarize(checks: Check[]): string {
  return checks
    .slice(0, 12)
    .map((c) => `${c.name} ${c.ret < 0 ? outcomeOf(c) : c.ret}${c.ms >= 1 ? ` (${Math.round(c.ms)} ms)` : ''}`)
    .join(', ') + (checks.length > 12 ? `, ... (${checks.length} checks)` : '');
}
