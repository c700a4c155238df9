/**
 * Which patch? Finds the first patch of a revision after which a scenario
 * stops meeting the revision's manifest: each probe builds a patch prefix
 * (in the revision's own tree and build dir, incrementally), boots it and
 * judges the scenario; a passing probe is repeated --tries times, since the
 * bugs worth bisecting here are races (ktest's bisect does the same).
 *
 * The search (nextProbe) is pure: first the whole revision; then back from
 * it in growing steps (1, 2, 4, ...) to a prefix that meets the manifest,
 * since the scenarios of a freeze series need its first patches to run at
 * all and the prefix before the series cannot be the good end; then halving.
 */
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CacheLayout } from '../paths.ts';
import type { FsName } from '../guest/disk-images.ts';
import { prepareGuestKit, type GuestKit } from '../guest/guest-kit.ts';
import { guestContractHeader, type ScenarioId } from '../scenarios/catalogue.ts';
import { standingOf, type ScenarioResult } from '../scenarios/judge.ts';
import { runScenarios } from '../scenarios/run-scenarios.ts';
import { ensureSource } from '../source/ensure.ts';
import { prepareWorkTree } from '../tree/work-tree.ts';
import { subjectOf } from '../kbuild/patch-records.ts';
import { inputError } from '../errors.ts';
import { writeJsonAtomic } from '../util/atomic.ts';
import { checkAccel, type AccelChoice } from '../vm/accel.ts';
import type { Clock } from '../vm/qemu-command.ts';
import { replayMatches } from '../vm/replay.ts';
import { buildPerPatch, ownPatches, prefixName } from './per-patch.ts';
import { loadRevision, manifestOf } from './revision.ts';

export type Verdict = 'good' | 'bad' | 'untestable';

/** What the search does next: test a prefix, or it has its answer. */
export type Next = { test: number } | { firstBad: number } | { allGood: true };

/**
 * The next prefix to test (1..n: the tree after that many of the
 * revision's patches), from the verdicts so far; `good` is a prefix the
 * user says meets the manifest (tested too, not trusted). Assumes what git
 * bisect assumes: between a good prefix and a bad one the scenario turns
 * bad once. Pure.
 */
export function nextProbe(n: number, known: ReadonlyMap<number, 'good' | 'bad'>, good?: number): Next {
  if (!known.has(n)) return { test: n };
  if (known.get(n) === 'good') return { allGood: true };
  const bads = [...known].filter(([, v]) => v === 'bad').map(([k]) => k);
  const b = Math.min(...bads);
  if (good !== undefined && good < b && !known.has(good)) return { test: good };
  const goods = [...known].filter(([k, v]) => v === 'good' && k < b).map(([k]) => k);
  if (goods.length) {
    const g = Math.max(...goods);
    return b - g === 1 ? { firstBad: b } : { test: Math.floor((g + b) / 2) };
  }
  if (b === 1) return { firstBad: 1 };
  return { test: Math.max(1, b - Math.max(1, n - b)) };
}

export interface BisectRequest {
  layout: CacheLayout;
  /** a name under patches/series or a series directory */
  revision: string;
  scenario: ScenarioId;
  /** default: ext3 and xfs; a probe is bad if the scenario misses on either */
  filesystems?: FsName[];
  /** how many times a probe must pass to count as good */
  tries: number;
  /** a prefix believed good: the search starts from it */
  good?: number;
  /** test this one prefix only (a `git bisect run` step) */
  at?: number;
  fragments?: string[];
  jobs: number;
  sourceUrl?: string;
  /** guests, kept kernels and bisect.json */
  runDir: string;
  accel?: AccelChoice;
  /** the guests' clock (default real) */
  clock?: Clock;
  /** record the guests; a failing probe is replayed to confirm its failure */
  record?: boolean;
}

export interface Probe {
  k: number;
  patch: string;
  verdict: Verdict;
  /** guest runs made (a bad or untestable probe stops at the first that shows it) */
  runs: number;
  why: string;
  /** the first result that missed the manifest, or the rig's error */
  failure?: ScenarioResult;
  reproducer?: string;
  /** --record: the failing guest replayed from its recording, and whether it printed the same console byte for byte */
  replay?: { script: string; same: boolean; seconds: number; firstDifference?: string };
}

export interface BisectOutcome {
  revision: string;
  scenario: string;
  n: number;
  verdict: Verdict;
  /** the first bad patch (verdict bad, a whole search) */
  culprit?: { k: number; layer: string; name: string; subject: string };
  probes: Probe[];
  /** one line: what was found */
  summary: string;
}

export async function bisect(req: BisectRequest, say: (s: string) => void): Promise<BisectOutcome> {
  // everything checked before anything is built
  const rev = await loadRevision(req.revision);
  const manifest = manifestOf(rev);
  const own = ownPatches(rev);
  const n = own.length;
  await checkAccel(req.accel ?? 'auto');
  if (!n) throw inputError(`${rev.name} has no patches of its own: nothing to bisect`);
  for (const [opt, v] of [['--at', req.at], ['--good', req.good]] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 1 && v <= n)) throw inputError(`${opt} ${v}: ${rev.name} has patches 1 to ${n}`, { hint: own.map((p, i) => `${i + 1}: ${p.name}`).join(', ') });
  }
  const label = (k: number) => `${k}/${n} ${own[k - 1]!.layer}/${own[k - 1]!.name}`;
  await mkdir(req.runDir, { recursive: true });
  const kit = await fullTreeKit(req, rev);
  const probes: Probe[] = [];
  const outcome = (o: Omit<BisectOutcome, 'revision' | 'scenario' | 'n' | 'probes'>): BisectOutcome => ({ revision: rev.name, scenario: req.scenario, n, probes, ...o });
  const save = (o?: BisectOutcome) => writeJsonAtomic(join(req.runDir, 'bisect.json'), o ?? outcome({ verdict: 'untestable', summary: 'in progress' }));
  const finish = async (o: Omit<BisectOutcome, 'revision' | 'scenario' | 'n' | 'probes'>) => {
    const done = outcome(o);
    await save(done);
    return done;
  };

  async function probe(k: number): Promise<Probe> {
    const patch = label(k);
    const [step] = await buildPerPatch({ layout: req.layout, revision: rev, fragments: req.fragments, jobs: req.jobs, sourceUrl: req.sourceUrl, only: [k], keep: req.runDir });
    if (!step?.kernel) return { k, patch, verdict: 'untestable', runs: 0, why: `does not build: ${step?.build?.error ?? 'no build'}` };
    for (let t = 1; t <= req.tries; t++) {
      const kernel = { ...step.kernel, revision: `${prefixName(rev.name, k)}-try${t}` };
      const { results, boots } = await runScenarios(kernel, manifest, req.runDir, { layout: req.layout, scenarios: [req.scenario], filesystems: req.filesystems, vmsPerFs: 1, guestKit: Promise.resolve(kit), accel: req.accel, clock: req.clock, record: req.record });
      const mine = results.filter((r) => r.scenario === req.scenario);
      const reproducer = (r: ScenarioResult) => boots.find((b) => b.fs === r.fs)?.reproducer;
      const error = mine.find((r) => r.status === 'error');
      if (error) return { k, patch, verdict: 'untestable', runs: t, why: `the rig could not judge it (${error.fs}, try ${t}): ${firstLine(error.observed)}`, failure: error, reproducer: reproducer(error) };
      const missed = mine.find((r) => standingOf(r) === 'missed');
      if (missed) {
        // recorded: the failure is shown again from its recording before it counts, and the bisect says whether it was
        const boot = [...boots].reverse().find((b) => b.fs === missed.fs && b.replay);
        let replay: Probe['replay'];
        if (boot) {
          const script = join(req.runDir, kernel.revision, `${boot.name}-replay.sh`);
          replay = { script, ...(await replayMatches(script, join(req.runDir, kernel.revision, boot.console))) };
        }
        const confirmed = replay ? (replay.same ? `; replayed from its recording to the same console, byte for byte (${replay.seconds.toFixed(1)} s)` : `; its replay differed (${replay.firstDifference})`) : '';
        return { k, patch, verdict: 'bad', runs: t, why: `failed on try ${t} of ${req.tries} (${missed.fs}): ${firstLine(missed.observed)}${confirmed}`, failure: missed, reproducer: reproducer(missed), ...(replay ? { replay } : {}) };
      }
      say(`bisect: ${patch}: try ${t} of ${req.tries} meets the manifest (${mine.map((r) => `${r.fs} ${r.status}`).join(', ')})`);
      // a passing try's disk images are no evidence: its console logs stay, its images go (many tries, ~100 MB each)
      await dropImages(join(req.runDir, kernel.revision));
    }
    return { k, patch, verdict: 'good', runs: req.tries, why: `met the manifest ${req.tries} time(s) out of ${req.tries}` };
  }

  const run = async (k: number) => {
    const p = await probe(k);
    probes.push(p);
    say(`bisect: ${p.patch}: ${p.verdict.toUpperCase()}: ${p.why}`);
    await save();
    return p;
  };

  if (req.at !== undefined) {
    const p = await run(req.at);
    return finish({ verdict: p.verdict, summary: `${req.scenario} after ${p.patch}: ${p.verdict}: ${p.why}` });
  }
  const known = new Map<number, 'good' | 'bad'>();
  for (;;) {
    const next = nextProbe(n, known, req.good);
    if ('allGood' in next) return finish({ verdict: 'good', summary: `${req.scenario} meets ${rev.name}'s manifest with all ${n} patches (${req.tries} tries): nothing to bisect` });
    if ('firstBad' in next) {
      const p = own[next.firstBad - 1]!;
      const before = next.firstBad > 1 ? `; after ${next.firstBad - 1}/${n} it met the manifest ${req.tries} time(s)` : '; no prefix met the manifest (it fails from the first patch)';
      return finish({ verdict: 'bad', culprit: { k: next.firstBad, layer: p.layer, name: p.name, subject: subjectOf(p.text) }, summary: `${req.scenario}: first bad patch: ${label(next.firstBad)}${before}` });
    }
    const p = await run(next.test);
    if (p.verdict === 'untestable') return finish({ verdict: 'untestable', summary: `cannot test ${p.patch}: ${p.why}` });
    known.set(next.test, p.verdict);
  }
}

const firstLine = (s: string) => s.split('\n')[0]!.slice(0, 200);

async function dropImages(dir: string): Promise<void> {
  for (const f of await readdir(dir).catch(() => [] as string[])) if (f.endsWith('.img')) await rm(join(dir, f), { force: true });
}

/**
 * The guest helper made from the whole revision's tree (its headers),
 * copied into the run dir: every prefix boots the same helper, and a prefix
 * build (which changes the tree) cannot remake it under a probe.
 */
async function fullTreeKit(req: BisectRequest, rev: Awaited<ReturnType<typeof loadRevision>>): Promise<GuestKit> {
  const source = await ensureSource(req.layout, req.sourceUrl);
  const tree = await prepareWorkTree({ layout: req.layout, source, revision: rev.name, patches: rev.patches });
  const kit = await prepareGuestKit(req.layout, tree, guestContractHeader());
  const dir = join(req.runDir, 'guest-kit');
  await mkdir(dir, { recursive: true });
  await copyFile(kit.helper, join(dir, 'init'));
  await copyFile(kit.ioctl32, join(dir, 'ioctl32'));
  return { include: kit.include, helper: join(dir, 'init'), ioctl32: join(dir, 'ioctl32') };
}
